import { expect } from 'chai';
import { readConfig } from '../src/config.js';

describe('orchestrator configuration: security and tracing variables', () => {
  it('has no CORS origins and no trace export by default', () => {
    const config = readConfig({});
    expect(config.corsOrigins).to.deep.equal([]);
    expect(config.otlpEndpoint).to.equal(undefined);
    expect(config.apiToken).to.equal(undefined);
    expect(config.rateLimitPerMinute).to.equal(0);
  });

  it('reads CORS_ORIGINS, OTEL_EXPORTER_OTLP_ENDPOINT, API_TOKEN and RATE_LIMIT_PER_MINUTE', () => {
    const config = readConfig({
      CORS_ORIGINS: 'http://localhost:5173,https://ops.example.com',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      API_TOKEN: 'secret',
      RATE_LIMIT_PER_MINUTE: '120',
    });
    expect(config).to.deep.include({
      corsOrigins: ['http://localhost:5173', 'https://ops.example.com'],
      otlpEndpoint: 'http://jaeger:4318',
      apiToken: 'secret',
      rateLimitPerMinute: 120,
    });
  });

  it('refuses a bad origin and a bad endpoint together', () => {
    expect(() => readConfig({ CORS_ORIGINS: 'localhost:5173', OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://x:4317' }))
      .to.throw(/CORS_ORIGINS must be a comma list of origins/)
      .and.to.match(/OTEL_EXPORTER_OTLP_ENDPOINT must be a http:\/\/ or https:\/\/ URL/);
  });

  it('keeps finished sagas a week by default, reads SAGA_RETENTION_HOURS (0 keeps them) and refuses a bad one', () => {
    expect(readConfig({}).sagaRetentionHours).to.equal(168);
    expect(readConfig({ SAGA_RETENTION_HOURS: '0' }).sagaRetentionHours).to.equal(0);
    expect(readConfig({ SAGA_RETENTION_HOURS: '24' }).sagaRetentionHours).to.equal(24);
    expect(() => readConfig({ SAGA_RETENTION_HOURS: '-1' })).to.throw(/SAGA_RETENTION_HOURS must be a whole number/);
  });

  it('reads RETRY_JITTER as the participants do (0.2 by default, 0 for none) and refuses a bad one', () => {
    expect(readConfig({}).retryJitter).to.equal(0.2);
    expect(readConfig({ RETRY_JITTER: '0' }).retryJitter).to.equal(0);
    expect(() => readConfig({ RETRY_JITTER: '1.5' })).to.throw(/RETRY_JITTER must be a fraction from 0 to 0.9/);
  });
});
