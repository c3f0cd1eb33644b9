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
  // The server declares our prefixes for every query: tell the editor's syntax check, so that a query without
  // PREFIX lines is not marked as an error ("Prefix 'gai' is not defined") although it runs.
  var sparqlMode = Yasqe.modes && Yasqe.modes.sparql11;
  if (sparqlMode) {
    Yasqe.defineMode("sparql11", function (options, spec) {
      var mode = sparqlMode(options, spec);
      var startState = mode.startState;
      mode.startState = function () {
        var state = startState.apply(mode, arguments);
        Object.keys(config.prefixes).forEach(function (prefix) {
          state.prefixes[prefix] = config.prefixes[prefix];
        });
        return state;
      };
      return mode;
    });
  }
  // A query in the URL (#query=…, and #name=… for a named query) opens in the editor: links are shareable.
  var shared = new URLSearchParams(window.location.hash.slice(1));
  var current = { query: shared.get("query") || config.query, name: shared.get("query") ? shared.get("name") : null };
  Yasqe.defaults.value = current.query;
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
  tab.setQuery(current.query);
  var infer = document.getElementById("infer");
  function inferences() {
    yasgui.getTab().setRequestConfig({ args: infer.checked ? [] : [{ name: "infer", value: "false" }] });
  }
  infer.addEventListener("change", inferences);
  yasgui.on("tabSelect", function () {
    window.setTimeout(inferences, 0);
  });
  // The address of the query being edited, kept in the address bar and in the "link to this query" anchor;
  // "run as named query" leads back to the named query the text came from, while it is unchanged.
  var share = document.getElementById("share-link");
  var named = document.getElementById("named-link");
  function remember(query) {
    var params = new URLSearchParams({ query: query });
    if (current.name && query === current.query) {
      params.set("name", current.name);
      named.setAttribute("href", config.queries + encodeURIComponent(current.name));
      named.hidden = false;
    } else {
      named.hidden = true;
    }
    var target = window.location.pathname + "#" + params.toString();
    share.setAttribute("href", target);
    window.history.replaceState(null, "", target);
  }
  var timer = null;
  yasgui.on("query", function () {
    remember(yasgui.getTab().getQuery());
  });
  function watch(yasqe) {
    yasqe.on("change", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        remember(yasqe.getValue());
      }, 300);
    });
  }
  watch(tab.getYasqe());
  yasgui.on("tabAdd", function (instance, id) {
    window.setTimeout(function () {
      var added = yasgui.getTab(id);
      if (added && added.getYasqe()) {
        watch(added.getYasqe());
      }
    }, 0);
  });
  remember(current.query);
  document.getElementById("load-example").addEventListener("click", function () {
    var chosen = config.examples[Number(document.getElementById("examples").value)];
    var open = yasgui.getTab();
    current = { query: chosen.query, name: chosen.name };
    open.setQuery(chosen.query);
    open.setName(chosen.title);
    remember(chosen.query);
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
