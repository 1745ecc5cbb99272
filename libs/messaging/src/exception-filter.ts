import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC filter replaces any non-RpcException by `{status:'error', message:'Internal
 * server error'}`, which hides whether a DomainError is retryable. Register this filter
 * (`app.useGlobalFilters(new JetStreamExceptionFilter())`) so the transport sees the original
 * error: retry vs dead-letter, and the real message in `cdp-dlq-error` and query error replies.
 */
@Catch()
export class JetStreamExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
