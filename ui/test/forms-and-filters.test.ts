import { expect } from 'chai';
import { canSend, describeChange, parseDraft } from '../src/features/dlq/edit-draft.js';
import { orderRequestOf } from '../src/features/orders/order-form.js';
import { storedToken } from '../src/features/auth/auth-slice.js';
import { makeStore } from '../src/app/store.js';
import { listQueryOf, nextPage, statusChosen } from '../src/features/sagas/saga-filters-slice.js';

describe('new order form', () => {
  const form = {
    customerId: 'c-1',
    customerEmail: 'a@b.co',
    currency: 'EUR',
    token: 'tok_visa',
    priority: 'standard' as const,
    quantities: { 'BOOK-001': 2, 'MUG-001': 0 },
  };

  it('makes the POST /orders request from what was picked', () => {
    expect(orderRequestOf(form)).to.deep.equal({
      request: {
        customerId: 'c-1',
        customerEmail: 'a@b.co',
        currency: 'EUR',
        items: [{ sku: 'BOOK-001', quantity: 2 }],
        payment: { method: 'card', token: 'tok_visa' },
      },
    });
  });

  it('asks for an express order only when express is picked', () => {
    const made = orderRequestOf({ ...form, priority: 'express' });
    expect(made).to.have.nested.property('request.priority', 'express');
    expect(orderRequestOf(form)).to.not.have.nested.property('request.priority');
  });

  it('says what is missing instead of sending', () => {
    const made = orderRequestOf({ ...form, customerEmail: 'nope', quantities: {} });
    expect(made).to.deep.equal({ problems: ['customer email: not an address', 'pick at least one product'] });
  });
});

describe('dead letter editor', () => {
  it('sends only the text that was checked and found valid', () => {
    const check = { state: 'valid' as const, text: '{"a":1}', changes: [] };
    expect(canSend(check, '{"a":1}')).to.equal(true);
    expect(canSend(check, '{"a":2}')).to.equal(false);
    expect(canSend({ state: 'invalid', text: 'x', reason: 'no' }, 'x')).to.equal(false);
  });

  it('reads JSON or says why not, and writes a change as one line', () => {
    expect(parseDraft('{"a":1}')).to.deep.equal({ ok: true, value: { a: 1 } });
    expect(parseDraft('{a').ok).to.equal(false);
    expect(describeChange({ path: 'payload.token', from: 'x', to: 'y' })).to.equal('payload.token: "x" → "y"');
  });
});

describe('store', () => {
  it('starts over at the first (live) page when the filter changes', () => {
    const store = makeStore();
    store.dispatch(nextPage('cursor-2'));
    expect(listQueryOf(store.getState().sagaFilters)).to.deep.equal({ limit: 25, cursor: 'cursor-2' });
    store.dispatch(statusChosen('STALLED'));
    expect(listQueryOf(store.getState().sagaFilters)).to.deep.equal({ status: 'STALLED', limit: 25 });
  });

  it('reads the token of this browser session, and nothing where storage fails', () => {
    expect(storedToken({ getItem: () => 'secret' })).to.equal('secret');
    expect(
      storedToken({
        getItem: () => {
          throw new Error('denied');
        },
      }),
    ).to.equal('');
  });
});
