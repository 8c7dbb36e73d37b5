/* redistrict edit mode: move an estate or block to another new community and see, offline, what that does
   to residents, households, headroom under the size rule and contiguity (a BFS over the units' adjacency
   embedded in the page); export the edited assignment as the assignment.csv that `redistrict check` reads.
   Every text from the data is set with textContent, never as HTML. */
(function () {
  "use strict";

  var KINDS = {estate: "楼盘 estate", block: "地块 block", grid: "网格 grid"};
  var SELECTED = {weight: 4, color: "#000000", opacity: 1};

  function grouped(value) {
    var rounded = Math.round(Math.abs(value));
    var digits = String(rounded), out = "";
    while (digits.length > 3) {
      out = "," + digits.slice(-3) + out;
      digits = digits.slice(0, -3);
    }
    return (value < 0 && rounded > 0 ? "-" : "") + digits + out;
  }

  function node(tag, attributes, text) {
    var element = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  // one cell as Python's csv module writes it (QUOTE_MINIMAL)
  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }

  var Edit = {
    data: null,
    map: null,
    on: false,
    option: null,        // the option the edits started from
    assignment: [],      // district per unit, in data.units order
    selected: null,      // index of the selected unit
    paths: [],           // Leaflet layer per unit
    neighbours: [],
    elements: {},

    start: function (map, data) {
      Edit.map = map;
      Edit.data = data;
      Edit.neighbours = data.units.map(function () { return []; });
      data.adjacency.forEach(function (pair) {
        Edit.neighbours[pair[0]].push(pair[1]);
        Edit.neighbours[pair[1]].push(pair[0]);
      });
      map.createPane("rd-edit").style.zIndex = 435;
      Edit.buildControl();
      // another option chosen while editing: start again from that option's plan
      map.on("baselayerchange", function () { if (Edit.on) { Edit.setEditing(true); } });
      Edit.ready = true;
    },

    optionData: function () {
      var shown = Number(document.documentElement.getAttribute("data-rd-option")) || 1;
      var found = Edit.data.options.filter(function (o) { return o.number === shown; });
      return found.length ? found[0] : Edit.data.options[0];
    },

    districtOf: function (number) {
      var found = Edit.option.districts.filter(function (d) { return d.district === number; });
      return found.length ? found[0] : {district: number, name: "新社区 " + number, colour: "#cccccc"};
    },

    buildControl: function () {
      var control = L.control({position: "topright"});
      control.onAdd = function () {
        var box = node("div", {"class": "rd-edit leaflet-bar", id: "rd-edit"});
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var toggle = node("button", {type: "button", "data-testid": "edit-toggle", "aria-pressed": "false"},
                          "编辑方案 Edit");
        toggle.addEventListener("click", function () { Edit.setEditing(!Edit.on); });
        box.appendChild(toggle);
        var body = node("div", {"class": "rd-edit-body"});
        body.hidden = true;
        var unit = node("p", {"class": "rd-edit-unit", "data-testid": "selected-unit"},
                        "点击地图上的楼盘或地块 Click an estate or block on the map");
        var label = node("label", {}, "划入 Move to ");
        var select = node("select", {"data-testid": "assign-select"});
        select.disabled = true;
        select.addEventListener("change", function () {
          if (Edit.selected !== null) { Edit.assign(Edit.selected, Number(select.value)); }
        });
        label.appendChild(select);
        var table = node("table", {"class": "rd-edit-table"});
        var head = table.createTHead().insertRow();
        ["新社区 Community", "居民 Residents", "户数 Households", "余量 Headroom"].forEach(function (text, i) {
          head.appendChild(node("th", i ? {"class": "num"} : {}, text));
        });
        var rule = node("p", {"class": "rd-edit-rule"});
        var violations = node("div", {"class": "rd-edit-violations", "data-testid": "violations",
                                      "role": "status", "aria-live": "polite"});
        var actions = node("p", {"class": "rd-edit-actions"});
        var exportButton = node("button", {type: "button", "data-testid": "export-assignment"},
                                "导出 Export assignment.csv");
        exportButton.addEventListener("click", function () { Edit.exportCsv(); });
        var reset = node("button", {type: "button", "data-testid": "edit-reset"}, "还原 Reset");
        reset.addEventListener("click", function () { Edit.reset(); });
        actions.appendChild(exportButton);
        actions.appendChild(reset);
        [unit, label, table, rule, violations, actions].forEach(function (e) { body.appendChild(e); });
        box.appendChild(body);
        Edit.elements = {toggle: toggle, body: body, unit: unit, select: select, table: table, rule: rule,
                         violations: violations};
        return box;
      };
      control.addTo(Edit.map);
    },

    setEditing: function (on) {
      Edit.on = on;
      Edit.elements.toggle.setAttribute("aria-pressed", String(on));
      Edit.elements.toggle.textContent = on ? "结束编辑 Stop editing" : "编辑方案 Edit";
      Edit.elements.body.hidden = !on;
      document.documentElement.classList.toggle("rd-editing", on);
      if (on) {
        var option = Edit.optionData();
        if (Edit.option !== option) {
          Edit.option = option;
          Edit.assignment = option.assignment.slice();
          Edit.selected = null;
        }
        Edit.drawUnits();
        Edit.fillSelect();
        Edit.update();
        // keep every unit clickable between the summary panel (left) and this one (right)
        var panel = Edit.elements.body.parentNode.getBoundingClientRect();
        Edit.map.fitBounds(Edit.layer.getBounds(), {paddingTopLeft: [380, 30],
                                                    paddingBottomRight: [Math.ceil(panel.width) + 20, 30],
                                                    animate: false});
      } else if (Edit.layer) {
        Edit.map.removeLayer(Edit.layer);
      }
    },

    reset: function () {
      Edit.assignment = Edit.option.assignment.slice();
      Edit.selected = null;
      Edit.drawUnits();
      Edit.update();
    },

    drawUnits: function () {
      if (Edit.layer) { Edit.map.removeLayer(Edit.layer); }
      var features = Edit.data.units.map(function (unit, i) {
        return {type: "Feature", geometry: Edit.data.geometry[i], properties: {index: i}};
      });
      Edit.paths = [];
      Edit.layer = L.geoJSON({type: "FeatureCollection", features: features}, {
        pane: "rd-edit",
        style: function (feature) { return Edit.style(feature.properties.index); },
        onEachFeature: function (feature, layer) {
          var i = feature.properties.index;
          Edit.paths[i] = layer;
          layer.on("click", function () { Edit.select(i); });
        }
      });
      Edit.layer.addTo(Edit.map);
      // the stable hooks live on the SVG path elements, which exist only once the layer is on the map
      Edit.data.units.forEach(function (unit, i) {
        var path = Edit.paths[i] && Edit.paths[i].getElement();
        if (!path) { return; }
        path.setAttribute("data-unit", unit.id);
        path.setAttribute("data-kind", unit.kind);
        path.setAttribute("data-district", String(Edit.assignment[i]));
        path.classList.add("rd-edit-unit-path");
      });
    },

    style: function (i) {
      var base = {color: "#333333", weight: 1, opacity: 0.9, fillOpacity: 0.6,
                  fillColor: Edit.districtOf(Edit.assignment[i]).colour};
      return i === Edit.selected ? Object.assign(base, SELECTED) : base;
    },

    fillSelect: function () {
      var select = Edit.elements.select;
      while (select.firstChild) { select.removeChild(select.firstChild); }
      Edit.option.districts.forEach(function (d) {
        select.appendChild(node("option", {value: String(d.district)}, d.district + ". " + d.name));
      });
    },

    select: function (i) {
      var previous = Edit.selected;
      Edit.selected = i;
      if (previous !== null && Edit.paths[previous]) { Edit.paths[previous].setStyle(Edit.style(previous)); }
      Edit.paths[i].setStyle(Edit.style(i));
      Edit.paths[i].bringToFront();
      var unit = Edit.data.units[i];
      Edit.elements.unit.textContent = (KINDS[unit.kind] || unit.kind) + "：" + (unit.name || unit.id) + " · " +
        grouped(unit.population) + " 人 residents · " + grouped(unit.households) + " 户 households";
      Edit.elements.select.disabled = false;
      Edit.elements.select.value = String(Edit.assignment[i]);
    },

    assign: function (i, district) {
      Edit.assignment[i] = district;
      var path = Edit.paths[i] && Edit.paths[i].getElement();
      if (path) { path.setAttribute("data-district", String(district)); }
      Edit.paths[i].setStyle(Edit.style(i));
      Edit.update();
    },

    // pieces of one community: BFS over the embedded adjacency, restricted to its units
    pieces: function (district) {
      var seen = {}, count = 0;
      Edit.assignment.forEach(function (d, start) {
        if (d !== district || seen[start]) { return; }
        count += 1;
        var queue = [start];
        seen[start] = true;
        while (queue.length) {
          var current = queue.shift();
          Edit.neighbours[current].forEach(function (next) {
            if (!seen[next] && Edit.assignment[next] === district) {
              seen[next] = true;
              queue.push(next);
            }
          });
        }
      });
      return count;
    },

    totals: function () {
      var sums = {};
      Edit.option.districts.forEach(function (d) { sums[d.district] = {population: 0, households: 0, units: 0}; });
      Edit.data.units.forEach(function (unit, i) {
        var sum = sums[Edit.assignment[i]];
        sum.population += unit.population;
        sum.households += unit.households;
        sum.units += 1;
      });
      return sums;
    },

    violations: function (sums) {
      var rule = Edit.data.rule, found = [];
      var words = rule.attr === "households" ? ["户数", "households"] : ["居民", "residents"];
      Edit.option.districts.forEach(function (d) {
        var sum = sums[d.district], value = sum[rule.attr];
        if (sum.units === 0) {
          found.push(d.name + "：没有任何单元 has no units");
          return;
        }
        if (rule.max !== null && value > rule.max) {
          found.push(d.name + "：" + words[0] + " " + grouped(value) + " 超过上限 " + grouped(rule.max) +
                     "，超出 " + grouped(value - rule.max) + " — over the cap by " + grouped(value - rule.max) +
                     " " + words[1]);
        }
        if (rule.min !== null && value < rule.min) {
          found.push(d.name + "：" + words[0] + " " + grouped(value) + " 低于下限 " + grouped(rule.min) +
                     "，差 " + grouped(rule.min - value) + " — under the floor by " + grouped(rule.min - value) +
                     " " + words[1]);
        }
        var pieces = Edit.pieces(d.district);
        if (pieces > 1) {
          found.push(d.name + "：分为 " + pieces + " 块，不连通 — in " + pieces + " pieces, not contiguous");
        }
      });
      var groups = {};
      Edit.data.units.forEach(function (unit, i) {
        if (!unit.group) { return; }
        (groups[unit.group] = groups[unit.group] || {})[Edit.assignment[i]] = true;
      });
      Object.keys(groups).sort().forEach(function (group) {
        var districts = Object.keys(groups[group]);
        if (districts.length > 1) {
          found.push("分组 " + group + " 被拆入 " + districts.length + " 个新社区 — group split across " +
                     districts.length + " communities");
        }
      });
      return found;
    },

    update: function () {
      var sums = Edit.totals(), rule = Edit.data.rule, table = Edit.elements.table;
      while (table.tBodies.length) { table.removeChild(table.tBodies[0]); }
      var body = table.createTBody();
      Edit.option.districts.forEach(function (d) {
        var sum = sums[d.district], row = body.insertRow();
        var name = row.insertCell();
        var swatch = node("span", {"class": "swatch"});
        swatch.style.background = d.colour;
        name.appendChild(swatch);
        name.appendChild(document.createTextNode(" " + d.district + ". " + d.name));
        var cells = [["population-" + d.district, grouped(sum.population), sum.population],
                     ["households-" + d.district, grouped(sum.households), sum.households]];
        var headroom = rule.max === null ? null : rule.max - sum[rule.attr];
        cells.push(["headroom-" + d.district, headroom === null ? "—" : grouped(headroom),
                    headroom === null ? "" : headroom]);
        cells.forEach(function (cell) {
          var td = row.insertCell();
          td.className = "num";
          td.setAttribute("data-testid", cell[0]);
          td.setAttribute("data-value", String(cell[2]));
          td.textContent = cell[1];
        });
        if (headroom !== null && headroom < 0) { row.cells[3].classList.add("bad"); }
      });
      var words = rule.attr === "households" ? "户 households" : "人 residents";
      var limits = [];
      if (rule.max !== null) { limits.push("≤ " + grouped(rule.max) + " " + words); }
      if (rule.min !== null) { limits.push("≥ " + grouped(rule.min) + " " + words); }
      Edit.elements.rule.textContent = "规则 Rule" + (rule.profile ? "（" + rule.profile + "）" : "") + "：" +
        (limits.join("，") || "—") + "；余量 = 上限 − 现值 headroom = cap − value";
      var found = Edit.violations(sums), box = Edit.elements.violations;
      while (box.firstChild) { box.removeChild(box.firstChild); }
      box.setAttribute("data-count", String(found.length));
      box.className = "rd-edit-violations " + (found.length ? "bad" : "ok");
      if (!found.length) {
        box.appendChild(node("p", {}, "✓ 全部符合规则 every rule holds"));
      } else {
        var list = node("ul");
        found.forEach(function (text) { list.appendChild(node("li", {}, text)); });
        box.appendChild(list);
      }
    },

    // the same columns, order, sorting and cell rules as maps/files.py write_assignment_csv (one option)
    csvText: function () {
      var columns = Edit.data.csv.columns, prefixes = Edit.data.csv.spreadsheet_prefixes;
      function safe(text) { return text && prefixes.indexOf(text.charAt(0)) >= 0 ? "'" + text : text; }
      var order = Edit.data.units.map(function (unit, i) { return i; });
      order.sort(function (a, b) {
        var da = Edit.assignment[a], db = Edit.assignment[b];
        if (da !== db) { return da - db; }
        var ia = Edit.data.units[a].id, ib = Edit.data.units[b].id;
        return ia < ib ? -1 : ia > ib ? 1 : 0;
      });
      var lines = [columns.join(",")];
      order.forEach(function (i) {
        var unit = Edit.data.units[i], district = Edit.assignment[i];
        // every text cell is formula-safe, numbers stay numbers (maps/cells.py)
        var values = {unit_id: safe(unit.id), kind: safe(unit.kind), name: safe(unit.name),
                      estate_id: safe(unit.estate_id), population: unit.population,
                      households: unit.households, district: district,
                      district_name: safe(Edit.districtOf(district).name)};
        lines.push(columns.map(function (c) { return csvCell(values[c]); }).join(","));
      });
      return "\ufeff" + lines.join("\r\n") + "\r\n";
    },

    exportCsv: function () {
      var blob = new Blob([Edit.csvText()], {type: "text/csv;charset=utf-8"});
      var link = node("a", {download: Edit.data.csv.file});
      link.href = URL.createObjectURL(blob);
      document.body.appendChild(link);
      link.click();
      document.body.removeChild(link);
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 0);
    }
  };

  window.RedistrictEdit = Edit;
}());
