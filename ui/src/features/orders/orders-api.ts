import type { CreateOrderRequest, CreateOrderResponse, Order, Product } from '@sagaflow/contracts';
import { api } from '../../app/api';

export const ordersApi = api.injectEndpoints({
  endpoints: (build) => ({
    products: build.query<Product[], void>({
      query: () => 'products',
      transformResponse: (body: { items: Product[] }) => body.items,
      providesTags: ['Product'],
    }),
    getOrder: build.query<Order, string>({
      query: (orderId) => `orders/${encodeURIComponent(orderId)}`,
      providesTags: (_r, _e, orderId) => [{ type: 'Order', id: orderId }],
    }),
    createOrder: build.mutation<CreateOrderResponse, { request: CreateOrderRequest; idempotencyKey: string }>({
      query: ({ request, idempotencyKey }) => ({
        url: 'orders',
        method: 'POST',
        body: request,
        headers: { 'idempotency-key': idempotencyKey },
      }),
      invalidatesTags: ['SagaList', 'SagaCounts', 'Product'],
    }),
  }),
});

export const { useProductsQuery, useGetOrderQuery, useCreateOrderMutation } = ordersApi;
