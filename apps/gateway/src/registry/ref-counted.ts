/**
 * A value shared by requests in flight that can be retired at any time: it
 * is disposed once retired and no longer held, so an admin change never
 * pulls a backend out from under a running request.
 */
export class RefCounted<T> {
  private holders = 0;
  private retired = false;
  private readonly disposed: Promise<void>;
  private markDisposed!: () => void;
  private disposing = false;

  constructor(
    readonly value: T,
    private readonly dispose: (value: T) => Promise<void>,
  ) {
    this.disposed = new Promise((resolve) => {
      this.markDisposed = resolve;
    });
  }

  acquire(): T {
    this.holders++;
    return this.value;
  }

  release(): void {
    this.holders--;
    if (this.retired && this.holders === 0) this.disposeOnce();
  }

  /** Resolves once the value is disposed, which waits for its last holder. */
  retire(): Promise<void> {
    this.retired = true;
    if (this.holders === 0) this.disposeOnce();
    return this.disposed;
  }

  private disposeOnce(): void {
    if (this.disposing) return;
    this.disposing = true;
    this.dispose(this.value)
      .catch(() => {})
      .finally(this.markDisposed);
  }
}
