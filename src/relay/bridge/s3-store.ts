// The shared task storage HiClaw workers sync from: MinIO (or any S3) bucket `hiclaw-storage`.
// Path-style addressing and checksums only when required keep MinIO and s3rver happy
// (testing.md, "HiClaw pieces"). The SDK is loaded on first use, so a relay without the HiClaw
// bridge never pays for it.
import type { S3Client } from '@aws-sdk/client-s3';
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

type Sdk = typeof import('@aws-sdk/client-s3');

export class S3TaskStore implements TaskStore {
  readonly bucket: string;
  private client?: Promise<{ sdk: Sdk; client: S3Client }>;

  constructor(private readonly opts: S3StoreOptions) {
    registerSecret(opts.accessKeyId);
    registerSecret(opts.secretAccessKey);
    this.bucket = opts.bucket ?? DEFAULT_BUCKET;
  }

  private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        endpoint: this.opts.endpoint,
        region: this.opts.region ?? 'us-east-1',
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        credentials: { accessKeyId: this.opts.accessKeyId, secretAccessKey: this.opts.secretAccessKey },
      }),
    }));
    return this.client;
  }

  async put(key: string, body: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    const { sdk, client } = await this.connect();
    await client.send(
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<string | undefined> {
    const { sdk, client } = await this.connect();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToString('utf8') : '';
    } catch (e) {
      if (e instanceof sdk.S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404)) {
        return undefined;
      }
      throw e;
    }
  }

  destroy(): void {
    void this.client?.then(({ client }) => client.destroy());
  }
}
