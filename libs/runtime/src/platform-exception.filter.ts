import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { ErrorFilter } from '@cdp/http';
import { JetStreamExceptionFilter } from '@cdp/messaging';

/**
 * One global filter for both transports of a process: HTTP errors become our error body,
 * message-handler errors go back to the JetStream transport untouched so it can tell retry from
 * dead-letter. (Nest applies an app's global filters to a connected microservice only when it
 * inherits the app config, and refuses filters registered on it afterwards.)
 */
@Catch()
export class PlatformExceptionFilter implements ExceptionFilter {
  private readonly http = new ErrorFilter();
  private readonly rpc = new JetStreamExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): unknown {
    return host.getType() === 'http'
      ? this.http.catch(exception, host)
      : this.rpc.catch(exception, host);
  }
}
