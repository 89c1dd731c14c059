import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { errorMessage } from '../../app/api';
import { formatMoney } from '../../app/format';
import { orderRequestOf, TEST_CARDS, type OrderForm } from './order-form';
import { useCreateOrderMutation, useProductsQuery } from './orders-api';

/** `/ui/orders/new`: pick products from the catalogue and a test card, then watch the saga run. */
export function NewOrderPage() {
  const navigate = useNavigate();
  const { data: products, error: productsError } = useProductsQuery();
  const [createOrder, { isLoading, error }] = useCreateOrderMutation();
  // One key per filled-in form: a double submit places the order once.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const [problems, setProblems] = useState<string[]>([]);
  const [form, setForm] = useState<OrderForm>({
    customerId: 'c-demo',
    customerEmail: 'demo@example.com',
    currency: 'EUR',
    token: 'tok_visa',
    priority: 'standard',
    quantities: {},
  });
  const update = (patch: Partial<OrderForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setIdempotencyKey(crypto.randomUUID());
  };
  const total = (products ?? []).reduce((sum, p) => sum + p.priceCents * (form.quantities[p.sku] ?? 0), 0);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const made = orderRequestOf(form);
    if ('problems' in made) {
      setProblems(made.problems);
      return;
    }
    setProblems([]);
    const result = await createOrder({ request: made.request, idempotencyKey });
    if ('data' in result && result.data) navigate(`/sagas/${encodeURIComponent(result.data.sagaId)}`);
  };

  return (
    <section aria-labelledby="new-order-title">
      <h1 id="new-order-title">New order</h1>
      <form className="order-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Customer</legend>
          <label>
            Customer id
            <input
              name="customerId"
              value={form.customerId}
              onChange={(e) => update({ customerId: e.target.value })}
              required
            />
          </label>
          <label>
            Email
            <input
              name="customerEmail"
              type="email"
              value={form.customerEmail}
              onChange={(e) => update({ customerEmail: e.target.value })}
              required
            />
          </label>
          <label>
            Currency
            <select name="currency" value={form.currency} onChange={(e) => update({ currency: e.target.value })}>
              {['EUR', 'USD', 'GBP'].map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            Test card
            <select name="token" value={form.token} onChange={(e) => update({ token: e.target.value })}>
              {TEST_CARDS.map((c) => (
                <option key={c.token} value={c.token}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Priority
            <select
              name="priority"
              value={form.priority}
              onChange={(e) => update({ priority: e.target.value as OrderForm['priority'] })}
            >
              <option value="standard">standard</option>
              <option value="express">express — served first under a backlog</option>
            </select>
          </label>
        </fieldset>
        <fieldset>
          <legend>Products</legend>
          {productsError && (
            <p className="error" role="alert">
              The catalogue cannot be read: {errorMessage(productsError)}
            </p>
          )}
          {!products && !productsError && <p className="muted">Loading the catalogue…</p>}
          {products && (
            <table className="products">
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    In stock
                  </th>
                  <th scope="col">Quantity</th>
                </tr>
              </thead>
              <tbody>
                {products.map((p) => (
                  <tr key={p.sku}>
                    <td data-label="Product">
                      <strong>{p.name}</strong> <span className="mono muted">{p.sku}</span>
                    </td>
                    <td data-label="Price" className="num">
                      {formatMoney(p.priceCents, form.currency)}
                    </td>
                    <td data-label="In stock" className="num">
                      {p.available}
                    </td>
                    <td data-label="Quantity">
                      <input
                        type="number"
                        min={0}
                        max={10000}
                        inputMode="numeric"
                        aria-label={`Quantity of ${p.name}`}
                        data-sku={p.sku}
                        value={form.quantities[p.sku] ?? 0}
                        onChange={(e) =>
                          update({
                            quantities: {
                              ...form.quantities,
                              [p.sku]: Math.max(0, Math.floor(Number(e.target.value) || 0)),
                            },
                          })
                        }
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </fieldset>
        <div className="submit-row">
          <span>
            Total <strong data-testid="form-total">{formatMoney(total, form.currency)}</strong>
          </span>
          <button type="submit" className="primary" disabled={isLoading}>
            {isLoading ? 'Placing…' : 'Place order'}
          </button>
        </div>
        {(problems.length > 0 || error) && (
          <ul className="error" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
            {error && <li>{errorMessage(error)}</li>}
          </ul>
        )}
      </form>
    </section>
  );
}
