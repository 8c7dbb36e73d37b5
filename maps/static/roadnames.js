/* Road and river names drawn on the map (labels along the line, not only on hover). The names are data,
   set with textContent. */
(function () {
  "use strict";
  window.RedistrictMap.roadLabels = function (items, kind, key) {
    var group = L.layerGroup();
    items.forEach(function (item) {
      var box = document.createElement("div");
      box.className = "rd-road-name " + (item.kind === "river" ? "rd-road-name-river" : "rd-road-name-road");
      box.setAttribute("data-road", item.name);
      box.textContent = item.name;
      // screen y grows downwards: a counter-clockwise angle is a negative CSS rotation. Along a steep road
      // the characters stand upright one under the other (vertical writing), as Chinese maps set them.
      var rotation = -item.angle;
      if (Math.abs(item.angle) > 60) {
        box.style.writingMode = "vertical-rl";
        rotation = item.angle > 0 ? 90 - item.angle : -90 - item.angle;
      }
      box.style.transform = "translate(-50%, -50%) rotate(" + rotation + "deg)";
      var icon = L.divIcon({className: "rd-road-label", html: box, iconSize: null});
      L.marker([item.lat, item.lon], {icon: icon, interactive: false, keyboard: false, pane: "rd-labels"})
        .addTo(group);
    });
    window.RedistrictMap.layers[key] = group;
    return group;
  };
}());
