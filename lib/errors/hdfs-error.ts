import { QpipeError } from './qpipe-error';

/**
 * A WebHDFS operation failed or did not do what it was asked (a rename that returned false, a
 * create onto an existing file). `exception` is the NameNode's RemoteException class when it sent one
 * (`FileAlreadyExistsException`, `FileNotFoundException`, …).
 */
export class HdfsError extends QpipeError {
  constructor(
    message: string,
    readonly op: string,
    readonly path: string,
    readonly status?: number,
    readonly exception?: string,
    options?: { cause?: unknown },
  ) {
    super(message, { op, path, status, exception }, options);
  }
}
