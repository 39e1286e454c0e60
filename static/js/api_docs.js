// Browsable API documentation from the generated OpenAPI document (Swagger UI, vendored).
window.addEventListener("load", () => {
  window.SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui" });
});
