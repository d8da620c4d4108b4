/** Builds the absolute URLs clients are given (PUBLIC_URL), so every link names the same origin. */
export class PublicUrl {
  constructor(readonly base: string) {}

  /** Where GET /packages/{sha256}.tgz serves a package. */
  packageUrl(sha256: string): string {
    return `${this.base}/packages/${sha256}.tgz`;
  }
}
