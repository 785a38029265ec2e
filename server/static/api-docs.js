// The API docs page (Swagger UI from the installed package): started from this file,
// not an inline script, so the Content-Security-Policy needs no 'unsafe-inline' scripts.
(function () {
  var root = document.getElementById("swagger-ui");
  // eslint-disable-next-line no-undef
  SwaggerUIBundle({ url: root.getAttribute("data-spec-url"), dom_id: "#swagger-ui" });
})();
