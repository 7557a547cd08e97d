// Blobs in any S3-compatible store (AWS S3, MinIO, …): inputs and results under one bucket and
// prefix; download links are S3 presigned GET URLs, so the API never streams results itself.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { TransientError } from '../contract/errors.js';
import type { BlobStore } from '../tasks/ports.js';

export interface S3Location {
  bucket: string;
  prefix: string;
}

/** s3://bucket/some/prefix -> { bucket, prefix: 'some/prefix/' }. */
export function parseS3Url(url: string): S3Location {
  const parsed = new URL(url);
  if (parsed.protocol !== 's3:' || !parsed.hostname) throw new Error(`DEPTHMILL_BLOBS must look like s3://bucket/prefix, got ${url}`);
  const prefix = parsed.pathname.replace(/^\/+|\/+$/g, '');
  return { bucket: parsed.hostname, prefix: prefix ? `${prefix}/` : '' };
}

export interface S3BlobStoreOptions {
  url: string;
  /** A custom endpoint (MinIO, s3rver, …); path-style addressing is then used. */
  endpoint?: string;
  region?: string;
}

/**
 * After the SDK's own retries: an error the store answered as its fault (5xx, throttling), or no
 * answer at all (refused, reset, timed out), may pass; a 4xx answer (no such key, denied) will not.
 */
function storageError(error: unknown): unknown {
  const { $metadata, $retryable } = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = $metadata?.httpStatusCode;
  const transient = Boolean($retryable) || status === undefined || status >= 500 || status === 429;
  return transient ? new TransientError(`S3: ${(error as Error).message}`, { cause: error }) : error;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly location: S3Location;

  constructor(options: S3BlobStoreOptions) {
    this.location = parseS3Url(options.url);
    // Credentials come from the usual AWS variables, profiles or instance roles (the SDK's chain).
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    });
  }

  /** Creates the bucket when it is missing (convenient for MinIO and tests; on AWS create it yourself). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.location.bucket })).catch((error: unknown) => {
        const name = (error as { name?: string }).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
      });
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
  }

  private key(key: string): string {
    return this.location.prefix + key;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(key), Body: bytes, ContentType: contentType }),
      );
    } catch (error) {
      throw storageError(error);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (error) {
      throw storageError(error);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }));
  }

  async signedUrl(key: string, ttlSeconds: number): Promise<string> {
    const name = key.split('/').pop()!;
    const [taskId, extension] = name.split('.');
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.key(key),
      // The same file name the embedded mode's own links give.
      ResponseContentDisposition: `attachment; filename="${taskId}_0.${extension}"`,
    });
    return getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
  }

  close(): void {
    this.client.destroy();
  }
}
