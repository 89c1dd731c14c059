import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { openApiDocument } from './openapi.js';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Sagaflow API</title>
    <link rel="icon" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/sagaflow-docs.js"></script>
  </body>
</html>
`;

// A file of its own, not an inline script: the content security policy allows scripts from here only.
const START_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

const startScript: RequestHandler = (req, res, next) => {
  if (req.path !== '/sagaflow-docs.js') return next();
  res.type('text/javascript').send(START_SCRIPT);
};

/**
 * `GET /openapi.json` and the interactive page at `/docs` (Swagger UI, served from this package's
 * own dependencies: nothing is fetched from elsewhere).
 */
export function mountApiDocs(app: Express): void {
  const document = JSON.stringify(openApiDocument());
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  app.use('/docs/assets', startScript, express.static(swaggerUiDir, { index: false, maxAge: '1h' }));
}
