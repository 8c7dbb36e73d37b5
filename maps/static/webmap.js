/* redistrict web map helpers. Every text that comes from the data is set with textContent, never as
   HTML, so a name such as "<img onerror=...>" shows as text and runs nothing. */
(function () {
  "use strict";

  // density sits above the estates so a ticked density layer is read without their fill mixed in
  var PANES = [["rd-communities", 410], ["rd-estates", 420], ["rd-density", 425], ["rd-roads", 430],
               ["rd-boundary", 440], ["rd-facilities", 450], ["rd-labels", 650]];

  function tooltipNode(rows) {
    var table = document.createElement("table");
    table.className = "rd-tip";
    rows.forEach(function (row) {
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      tr.insertCell().textContent = row[1];
    });
    return table;
  }

  var store = null;

  var RedistrictMap = {
    layers: {},

    // the layers' features: one JSON block in the page, parsed as data (never run as script)
    data: function (key) {
      if (store === null) { store = JSON.parse(document.getElementById("rd-data").textContent); }
      return store[key];
    },

    panes: function (map) {
      PANES.forEach(function (p) {
        map.createPane(p[0]).style.zIndex = p[1];
      });
      map.getPane("rd-labels").style.pointerEvents = "none";
    },

    geoJson: function (data, kind, key) {
      var pane = "rd-" + kind;
      var layer = L.geoJSON(data, {
        pane: pane,
        style: function (feature) { return feature.properties.style; },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({pane: pane}, feature.properties.style));
        },
        onEachFeature: function (feature, featureLayer) {
          if (feature.properties.tooltip) {
            featureLayer.bindTooltip(tooltipNode(feature.properties.tooltip),
                                     {sticky: feature.geometry.type !== "Point", direction: "top",
                                      className: "rd-tooltip"});
          }
        }
      });
      layer.rdKind = kind;
      RedistrictMap.layers[key] = layer;
      return layer;
    },

    labels: function (items, kind, key) {
      var group = L.layerGroup();
      items.forEach(function (item) {
        var box = document.createElement("div");
        box.className = "rd-label-box";
        item.lines.forEach(function (line, index) {
          var span = document.createElement("div");
          span.className = index === 0 ? "rd-label-name" : "rd-label-sub";
          span.textContent = line;
          box.appendChild(span);
        });
        var icon = L.divIcon({className: "rd-label", html: box, iconSize: null});
        L.marker([item.lat, item.lon], {icon: icon, interactive: false, keyboard: false,
                                        pane: "rd-labels"}).addTo(group);
      });
      RedistrictMap.layers[key] = group;
      return group;
    },

    showOption: function (number) {
      var sections = document.querySelectorAll(".rd-option");
      Array.prototype.forEach.call(sections, function (section) {
        section.hidden = section.getAttribute("data-option") !== String(number);
      });
      document.documentElement.setAttribute("data-rd-option", String(number));
    },

    showDensityLegend: function (shown) {
      var legend = document.getElementById("rd-density-legend");
      if (legend) { legend.hidden = !shown; }
    },

    watchOptions: function (map) {
      map.on("baselayerchange", function (event) {
        if (event.layer && event.layer.rdOption) { RedistrictMap.showOption(event.layer.rdOption); }
      });
      map.on("overlayadd overlayremove", function (event) {
        if (event.layer && event.layer.rdKind === "density") {
          RedistrictMap.showDensityLegend(event.type === "overlayadd");
        }
      });
      RedistrictMap.showOption(1);
      RedistrictMap.ready = true;
    }
  };

  window.RedistrictMap = RedistrictMap;
}());
