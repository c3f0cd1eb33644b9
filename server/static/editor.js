// The /sparql editor: YASGUI on our endpoint, our prefixes and examples, and no request to any other host.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var Yasqe = Yasgui.Yasqe;
  // Class and property completion asks a public vocabulary service: keep only the local completers.
  Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
    return name !== "class" && name !== "property";
  });
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.defaults.value = config.query;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    corsProxy: undefined,
    persistenceId: null,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: config.endpoint }];
      },
      keys: [],
    },
    yasr: { prefixes: config.prefixes, defaultPlugin: "table" },
  });
  var tab = yasgui.getTab();
  tab.setEndpoint(config.endpoint);
  tab.setQuery(config.query);
  document.getElementById("load-example").addEventListener("click", function () {
    var chosen = config.examples[Number(document.getElementById("examples").value)];
    var current = yasgui.getTab();
    current.setQuery(chosen.query);
    current.setName(chosen.title);
  });
  // Result tables link IRIs to themselves; ours open this server's pages instead, and an IRI that is no web
  // address (javascript:, data:, urn:, …) is no link at all.
  var LINKABLE = /^(https?:|mailto:|\/)/i;
  function localise(root) {
    root.querySelectorAll("a[href]").forEach(function (anchor) {
      Object.keys(config.pages).forEach(function (namespace) {
        var target = anchor.getAttribute("href");
        if (target.indexOf(namespace) === 0) {
          anchor.setAttribute("href", config.pages[namespace] + target.slice(namespace.length));
        }
      });
      if (!LINKABLE.test(anchor.getAttribute("href").trim())) {
        anchor.removeAttribute("href");
      }
    });
  }
  new MutationObserver(function () {
    localise(document.getElementById("yasgui"));
  }).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  window.genaiKgEditor = yasgui;
})();
