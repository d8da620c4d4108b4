import { fromBufferPromise } from "yauzl";

export interface ZipEntry {
  path: string;
  bytes: Buffer;
  /** Unix mode from the external attributes (e.g. 0o100644). */
  mode: number;
  /** Raw DOS date and time fields, to check the fixed timestamp. */
  dosDate: number;
  dosTime: number;
  /** Extra fields present (yazl adds an extended timestamp unless told not to). */
  extraFieldIds: number[];
}

/** Every entry of a zip, in archive order, through an independent reader (yauzl). */
export async function readZip(bytes: Buffer): Promise<ZipEntry[]> {
  const zip = await fromBufferPromise(bytes, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true });
  const entries: ZipEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.push({
      path: entry.fileName,
      bytes: Buffer.concat(chunks),
      mode: (entry.externalFileAttributes >>> 16) & 0xffff,
      dosDate: entry.lastModFileDate,
      dosTime: entry.lastModFileTime,
      extraFieldIds: entry.extraFields.map((f) => f.id),
    });
  }
  zip.close();
  return entries;
}
