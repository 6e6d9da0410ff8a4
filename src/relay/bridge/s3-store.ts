// The shared task storage HiClaw workers sync from: MinIO (or any S3) bucket `hiclaw-storage`.
// Path-style addressing and checksums only when required keep MinIO and s3rver happy
// (testing.md, "HiClaw pieces").
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { registerSecret } from '../../shared/redact';

export const DEFAULT_BUCKET = 'hiclaw-storage';

/** What the bridge needs from the task storage. */
export interface TaskStore {
  put(key: string, body: string, contentType?: string): Promise<void>;
  /** The object's text, or undefined when it does not exist. */
  get(key: string): Promise<string | undefined>;
}

export interface S3StoreOptions {
  endpoint?: string;
  bucket?: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export class S3TaskStore implements TaskStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(opts: S3StoreOptions) {
    registerSecret(opts.accessKeyId);
    registerSecret(opts.secretAccessKey);
    this.bucket = opts.bucket ?? DEFAULT_BUCKET;
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region ?? 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    });
  }

  async put(key: string, body: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToString('utf8') : '';
    } catch (e) {
      if (e instanceof S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404)) return undefined;
      throw e;
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
