import type { ValidationIssue } from '@sagaflow/contracts';

/** An error answered with a 4xx and a reason; anything else is a 500 and a bug. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static validation(issues: ValidationIssue[]): HttpError {
    return new HttpError(400, 'validation_failed', 'the request is invalid', issues);
  }

  static notFound(what: string): HttpError {
    return new HttpError(404, 'not_found', `${what} not found`);
  }
}
