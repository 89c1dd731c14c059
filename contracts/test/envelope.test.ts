import { expect } from 'chai';
import { ChargePayment, EXCHANGES, SagaflowError, validator, HEADERS } from '../src/index.js';
import {
  assertValidMessage,
  childTraceparent,
  createMessage,
  decodeMessage,
  messageProperties,
  routeOf,
} from '../src/messaging/index.js';
import { chargeCommand } from './support/bus-fixture.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('message envelope', () => {
  describe('createMessage', () => {
    it('fills in ids, version, time and a W3C traceparent', () => {
      const message = chargeCommand();
      expect(message.messageId).to.match(/^[0-9a-f-]{36}$/);
      expect(message.schemaVersion).to.equal(1);
      expect(Date.parse(message.occurredAt)).to.be.closeTo(Date.now(), 5_000);
      expect(message.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });

    it('keeps the ids and trace it is given and leaves out absent ones', () => {
      const at = new Date('2024-01-02T03:04:05.000Z');
      const message = createMessage(
        'inventory.low',
        { sku: 'SKU-1', available: 2, threshold: 5 },
        { messageId: 'm-1', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, occurredAt: at },
      );
      expect(message.messageId).to.equal('m-1');
      expect(message.occurredAt).to.equal(at.toISOString());
      expect(message.traceparent).to.equal(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
      expect(message).not.to.have.property('sagaId');
      expect(message).not.to.have.property('commandId');
    });

    it('derives a child span on the same trace', () => {
      const parent = chargeCommand().traceparent;
      const child = childTraceparent(parent);
      expect(child.slice(0, 35)).to.equal(parent.slice(0, 35));
      expect(child).not.to.equal(parent);
      expect(child).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });

    it('routes commands, replies and events to their exchanges by type', () => {
      expect(routeOf('payment.charge')).to.deep.equal({ exchange: EXCHANGES.commands, routingKey: 'payment.charge' });
      expect(routeOf('payment.charge.reply').exchange).to.equal(EXCHANGES.replies);
      expect(routeOf('inventory.low').exchange).to.equal(EXCHANGES.events);
    });

    it('maps the envelope onto AMQP properties and headers', () => {
      const message = chargeCommand();
      const properties = messageProperties(message);
      expect(properties).to.include({
        messageId: message.messageId,
        correlationId: message.sagaId,
        type: 'payment.charge',
        contentType: 'application/json',
      });
      expect(properties.headers).to.deep.equal({
        [HEADERS.schemaVersion]: 1,
        [HEADERS.traceparent]: message.traceparent,
      });
    });
  });

  describe('decodeMessage', () => {
    it('accepts a valid message and returns it unchanged', () => {
      const message = chargeCommand();
      const decoded = decodeMessage(encode(message));
      expect(decoded).to.deep.equal({ ok: true, message });
    });

    it('reads strings as well as buffers', () => {
      expect(decodeMessage(JSON.stringify(chargeCommand())).ok).to.equal(true);
    });

    it('says why a body is not JSON', () => {
      const decoded = decodeMessage(Buffer.from('{"messageId": '));
      expect(decoded.ok).to.equal(false);
      expect(decoded).to.have.property('reason', 'unparsable');
    });

    it('rejects an unknown envelope field instead of dropping it', () => {
      const body = { ...chargeCommand(), extra: true };
      const decoded = decodeMessage(encode(body));
      expect(decoded).to.include({ ok: false, reason: 'invalid_envelope' });
      expect((decoded as { detail: string }).detail).to.contain("unknown field 'extra'");
    });

    it('rejects an unknown payload field instead of dropping it', () => {
      const message = chargeCommand();
      const body = { ...message, payload: { ...message.payload, coupon: 'FREE' } };
      const decoded = decodeMessage(encode(body));
      expect(decoded).to.include({ ok: false, reason: 'invalid_payload' });
      expect((decoded as { detail: string }).detail).to.contain("unknown field 'coupon'");
      expect(body.payload).to.have.property('coupon', 'FREE');
    });

    it('rejects a missing envelope field', () => {
      const { messageId: _dropped, ...body } = chargeCommand();
      expect(decodeMessage(encode(body))).to.include({ ok: false, reason: 'invalid_envelope' });
    });

    it('rejects a malformed traceparent', () => {
      expect(decodeMessage(encode({ ...chargeCommand(), traceparent: 'nope' }))).to.include({
        ok: false,
        reason: 'invalid_envelope',
      });
    });

    it('rejects an unknown type', () => {
      expect(decodeMessage(encode({ ...chargeCommand(), type: 'payment.steal' }))).to.include({
        ok: false,
        reason: 'unknown_type',
      });
    });

    it('rejects a schema version it does not read', () => {
      expect(decodeMessage(encode({ ...chargeCommand(), schemaVersion: 2 }))).to.include({
        ok: false,
        reason: 'unsupported_schema_version',
      });
    });

    it('requires sagaId and commandId on commands', () => {
      const { sagaId: _dropped, ...body } = chargeCommand();
      expect(decodeMessage(encode(body))).to.include({ ok: false, reason: 'invalid_envelope' });
    });

    it('does not coerce payload types', () => {
      const message = chargeCommand();
      const body = { ...message, payload: { ...message.payload, amountCents: '1200' } };
      expect(decodeMessage(encode(body))).to.include({ ok: false, reason: 'invalid_payload' });
    });

    it('rejects JSON that is not an object', () => {
      for (const body of ['null', '42', '"text"', '[]']) {
        expect(decodeMessage(body)).to.include({ ok: false, reason: 'invalid_envelope' });
      }
    });
  });

  describe('assertValidMessage', () => {
    it('throws a non-retryable error naming the reason', () => {
      const message = chargeCommand();
      const bad = { ...message, payload: { ...message.payload, amountCents: -1 } };
      try {
        assertValidMessage(bad);
        expect.fail('should have thrown');
      } catch (error) {
        expect(error).to.be.instanceOf(SagaflowError);
        expect(error).to.include({ type: 'invalid_payload', retryable: false });
      }
    });
  });

  describe('validator', () => {
    const check = validator(ChargePayment);
    const valid = chargeCommand().payload;

    it('accepts a valid value as it is', () => {
      const result = check(valid);
      expect(result).to.deep.equal({ ok: true, value: valid });
    });

    it('reports every problem with its path and leaves the value untouched', () => {
      const value = { ...valid, amountCents: 1.5, currency: 'euro', surplus: 1 };
      const result = check(value);
      expect(result.ok).to.equal(false);
      const issues = (result as { issues: { path: string; message: string }[] }).issues;
      expect(issues.map((i) => i.path)).to.include.members(['/amountCents', '/currency', '/']);
      expect(issues.map((i) => i.message)).to.include("unknown field 'surplus'");
      expect(value).to.have.property('surplus', 1);
    });

    it('keeps the schema it checks', () => {
      expect(check.schema).to.equal(ChargePayment);
    });
  });
});
