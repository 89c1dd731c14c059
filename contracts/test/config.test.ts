import { expect } from 'chai';
import { ConfigError, EnvReader, parseStoreUrl } from '../src/index.js';

const problemsOf = (read: (r: EnvReader) => void, env: Record<string, string>): string[] => {
  const reader = new EnvReader(env);
  read(reader);
  try {
    reader.done();
    return [];
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
};

describe('EnvReader', () => {
  it('gives defaults for unset and empty variables', () => {
    const read = new EnvReader({ PORT: '', LOG_LEVEL: '  ' });
    expect(read.int('PORT', 8080)).to.equal(8080);
    expect(read.logLevel()).to.equal('info');
    expect(read.amqpUrl()).to.equal('amqp://guest:guest@127.0.0.1:5672');
    expect(read.storeUrl()).to.equal('mongodb://127.0.0.1:27017/sagaflow');
    read.done();
  });

  it('names every bad variable with what is allowed, in one error', () => {
    const problems = problemsOf(
      (r) => {
        r.logLevel();
        r.int('PORT', 1, { max: 65535 });
        r.intList('RETRY_DELAYS_MS', [1]);
        r.amqpUrl();
        r.storeUrl();
      },
      { LOG_LEVEL: 'verbose', PORT: '80x', RETRY_DELAYS_MS: '10,abc', AMQP_URL: 'http://x', STORE_URL: 'mysql://db' },
    );
    expect(problems).to.deep.equal([
      "LOG_LEVEL must be one of error, warn, info, debug (got 'verbose')",
      "PORT must be a whole number from 0 to 65535 (got '80x')",
      "RETRY_DELAYS_MS must be a comma list of up to 20 whole numbers from 1 to 86400000 (got '10,abc')",
      "AMQP_URL must be a amqp:// or amqps:// URL (got 'http://')",
      "STORE_URL must be a mongodb://, mongodb+srv://, postgres://, postgresql:// URL (got 'mysql://')",
    ]);
  });

  it('reads QUEUE_TYPE, classic by default', () => {
    expect(new EnvReader({}).queueType()).to.equal('classic');
    expect(new EnvReader({ QUEUE_TYPE: 'quorum' }).queueType()).to.equal('quorum');
    expect(problemsOf((r) => r.queueType(), { QUEUE_TYPE: 'stream' })).to.deep.equal([
      "QUEUE_TYPE must be one of classic, quorum (got 'stream')",
    ]);
  });

  it('reads RETRY_JITTER as a fraction, 0.2 by default and 0 for none', () => {
    expect(new EnvReader({}).retryJitter()).to.equal(0.2);
    expect(new EnvReader({ RETRY_JITTER: '0' }).retryJitter()).to.equal(0);
    expect(new EnvReader({ RETRY_JITTER: '0.35' }).retryJitter()).to.equal(0.35);
    expect(new EnvReader({ RETRY_JITTER: '.5' }).retryJitter()).to.equal(0.5);
    for (const bad of ['1', '-0.1', 'abc', '0.2.1', '1e-1', '20%']) {
      expect(
        problemsOf((r) => r.retryJitter(), { RETRY_JITTER: bad }),
        bad,
      ).to.deep.equal([`RETRY_JITTER must be a fraction from 0 to 0.9, 0 for none (got '${bad}')`]);
    }
  });

  it('refuses numbers that only look whole', () => {
    expect(problemsOf((r) => r.int('N', 0), { N: '1e3' })).to.have.length(1);
    expect(problemsOf((r) => r.int('N', 0), { N: '0x10' })).to.have.length(1);
    expect(problemsOf((r) => r.int('N', 0), { N: '42' })).to.deep.equal([]);
  });
});

describe('parseStoreUrl', () => {
  it('tells the store kind by scheme and takes the PostgreSQL schema out of the URL', () => {
    expect(parseStoreUrl('mongodb+srv://c.example.com/sagaflow')).to.deep.include({ kind: 'mongodb', schema: null });
    expect(parseStoreUrl('PostgreSQL://pg@127.0.0.1:5432/test?schema=s1&sslmode=disable')).to.deep.equal({
      kind: 'postgres',
      url: 'postgresql://pg@127.0.0.1:5432/test?sslmode=disable',
      schema: 's1',
    });
    expect(parseStoreUrl('postgres://127.0.0.1/test').schema).to.equal(null);
  });

  it('refuses anything else with a non-retryable error naming the schemes', () => {
    for (const url of ['mysql://localhost/db', 'localhost:27017', '']) {
      expect(() => parseStoreUrl(url), url)
        .to.throw(/STORE_URL (must be a mongodb:\/\/|is not a URL)/)
        .with.property('type', 'invalid_store_url');
    }
  });
});

describe('EnvReader.origins', () => {
  it('reads a comma list of origins, none when unset', () => {
    expect(new EnvReader({}).origins('CORS_ORIGINS')).to.deep.equal([]);
    const read = new EnvReader({ CORS_ORIGINS: ' https://ui.example.com, http://localhost:5173 ,' });
    expect(read.origins('CORS_ORIGINS')).to.deep.equal(['https://ui.example.com', 'http://localhost:5173']);
    read.done();
  });

  it('refuses anything that is not exactly an origin, naming each', () => {
    const problems = problemsOf((r) => r.origins('CORS_ORIGINS'), {
      CORS_ORIGINS: 'https://ok.example.com,https://x.example.com/path,*,ftp://f.example.com',
    });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^CORS_ORIGINS must be a comma list of origins/);
    expect(problems[0]).to.include("'https://x.example.com/path', '*', 'ftp://f.example.com'");
    expect(problems[0]).to.not.include('ok.example.com');
  });
});
