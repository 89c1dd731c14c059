import type {
  ApiError,
  EditDeadLetterRequest,
  ListSagasQuery,
  ReconciliationQuery,
  ReconciliationReport,
  SagaDetail,
  SagaSummary,
} from '@sagaflow/contracts';
import type { EditResult } from '@sagaflow/contracts/messaging';

/** What `POST /dlq/:messageId/edit` answers: the edit, and whether the saga's timeline recorded it. */
export interface EditAnswer extends EditResult {
  recorded: boolean;
}

export interface OrchestratorClientOptions {
  /** Where the orchestrator's HTTP API answers, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; the orchestrator requires it on mutating routes when it has one. */
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SagaPage {
  items: SagaSummary[];
  next: string | null;
}

/** A request the orchestrator refused or could not be sent; `status` is 0 when no answer came. */
export class OrchestratorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OrchestratorError';
  }
}

/** The orchestrator's saga routes (DESIGN §5) as typed calls. */
export class OrchestratorClient {
  private readonly baseUrl: URL;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: OrchestratorClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** `GET /sagas`, newest first; pass `next` back as `cursor` for the following page. */
  async listSagas(query: ListSagasQuery = {}): Promise<SagaPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size ? `?${params}` : '';
    const page = await this.request<Partial<SagaPage>>('GET', `sagas${search}`);
    if (!Array.isArray(page.items)) throw this.unexpected('GET /sagas has no items');
    return { items: page.items, next: page.next ?? null };
  }

  /** `GET /sagas/:id`: the saga with its whole timeline. */
  async getSaga(sagaId: string): Promise<SagaDetail> {
    const saga = await this.request<SagaDetail>('GET', `sagas/${encodeURIComponent(sagaId)}`);
    if (!Array.isArray(saga.timeline)) throw this.unexpected('GET /sagas/:id has no timeline');
    return saga;
  }

  /** `POST /sagas/:id/retry`: sends a STALLED saga's pending command again. */
  retrySaga(sagaId: string): Promise<SagaSummary> {
    return this.request('POST', `sagas/${encodeURIComponent(sagaId)}/retry`);
  }

  /** `POST /sagas/:id/compensate`: gives up on a STALLED saga and undoes what it did. */
  compensateSaga(sagaId: string): Promise<SagaSummary> {
    return this.request('POST', `sagas/${encodeURIComponent(sagaId)}/compensate`);
  }

  /**
   * `POST /dlq/:messageId/edit`: the orchestrator checks the edit against the message's schema,
   * republishes it and records the change in the saga's timeline (nothing is sent on a dry run).
   */
  editDeadLetter(messageId: string, request: EditDeadLetterRequest): Promise<EditAnswer> {
    return this.request('POST', `dlq/${encodeURIComponent(messageId)}/edit`, request);
  }

  /** `GET /reconciliation`: every anomaly between orders, sagas and the participants' records. */
  async reconcile(query: ReconciliationQuery = {}): Promise<ReconciliationReport> {
    const search =
      query.stalledAfter === undefined ? '' : `?${new URLSearchParams({ stalledAfter: query.stalledAfter })}`;
    const report = await this.request<ReconciliationReport>('GET', `reconciliation${search}`);
    if (!Array.isArray(report.anomalies) || typeof report.counts !== 'object') {
      throw this.unexpected('GET /reconciliation has no anomalies');
    }
    return report;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers,
        ...(payload !== undefined && { body: JSON.stringify(payload) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      const detail = cause?.message ?? (error as Error).message;
      throw new OrchestratorError(
        0,
        'unreachable',
        `cannot reach the orchestrator at ${this.baseUrl.origin}: ${detail}`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.status === 401 || response.status === 403) {
      throw new OrchestratorError(response.status, 'unauthorized', 'unauthorized: check API_TOKEN');
    }
    if (!response.ok) {
      const problem = (body ?? {}) as Partial<ApiError>;
      const code = typeof problem.error === 'string' ? problem.error : `http_${response.status}`;
      const reason = problem.message ?? problem.error ?? (text.trim() || response.statusText);
      throw new OrchestratorError(response.status, code, `${reason} (HTTP ${response.status} ${code})`);
    }
    if (body === undefined || body === null || typeof body !== 'object') {
      throw this.unexpected(`${method} /${path} did not answer with JSON`);
    }
    return body as T;
  }

  private unexpected(what: string): OrchestratorError {
    return new OrchestratorError(0, 'unexpected_response', `unexpected answer from the orchestrator: ${what}`);
  }
}
