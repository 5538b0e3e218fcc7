/**
 * The client-to-server messages of the MySQL and PostgreSQL wire protocols, cut out of a byte
 * stream, with the SQL text of the ones that carry a statement.
 *
 * - MySQL: packets of a 3-byte little-endian length and a sequence id; a command starts a new
 *   sequence (id 0), and COM_QUERY (0x03) carries the statement text
 *   (https://mariadb.com/kb/en/com_query/, https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html).
 * - PostgreSQL: after the untyped startup packet (or an SSLRequest answered by one byte), messages
 *   of a type byte and an int32 length; Query ('Q') carries the text of the simple protocol, Parse
 *   ('P') the one of the extended protocol, whose Bind/Execute/Sync follow
 *   (https://www.postgresql.org/docs/current/protocol-message-formats.html).
 */
export type WireDialect = 'mysql' | 'postgres';

export interface ClientMessage {
  bytes: Buffer;
  /** The statement text, for a message that starts one. */
  sql?: string;
}

const COM_QUERY = 0x03;
const PG_SSL_REQUEST = 80877103;
const PG_GSSENC_REQUEST = 80877104;

/** Splits a client's byte stream into whole messages, keeping an incomplete tail for the next chunk. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);
  /** PostgreSQL: the next message is untyped (the startup packet or an SSL/GSS request). */
  private untyped = true;

  constructor(private readonly dialect: WireDialect) {}

  push(chunk: Buffer): ClientMessage[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: ClientMessage[] = [];
    for (;;) {
      const message = this.dialect === 'mysql' ? this.mysql() : this.postgres();
      if (!message) return messages;
      messages.push(message);
    }
  }

  private take(length: number): Buffer {
    const bytes = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    return bytes;
  }

  private mysql(): ClientMessage | undefined {
    if (this.pending.length < 4) return undefined;
    const length = this.pending.readUIntLE(0, 3);
    if (this.pending.length < 4 + length) return undefined;
    const bytes = this.take(4 + length);
    const sequence = bytes[3];
    if (sequence === 0 && bytes[4] === COM_QUERY) return { bytes, sql: bytes.subarray(5).toString('utf8') };
    return { bytes };
  }

  private postgres(): ClientMessage | undefined {
    if (this.untyped) {
      if (this.pending.length < 8) return undefined;
      const length = this.pending.readInt32BE(0);
      if (this.pending.length < length) return undefined;
      const code = this.pending.readInt32BE(4);
      // An SSL or GSS request is answered by one byte, then the startup packet follows (untyped too).
      if (code !== PG_SSL_REQUEST && code !== PG_GSSENC_REQUEST) this.untyped = false;
      return { bytes: this.take(length) };
    }
    if (this.pending.length < 5) return undefined;
    const length = this.pending.readInt32BE(1);
    if (this.pending.length < 1 + length) return undefined;
    const bytes = this.take(1 + length);
    const type = String.fromCharCode(bytes[0]!);
    if (type === 'Q') return { bytes, sql: cstring(bytes, 5) };
    if (type === 'P') {
      const nameEnd = bytes.indexOf(0, 5);
      return { bytes, sql: cstring(bytes, nameEnd + 1) };
    }
    return { bytes };
  }
}

function cstring(bytes: Buffer, from: number): string {
  const end = bytes.indexOf(0, from);
  return bytes.subarray(from, end < 0 ? bytes.length : end).toString('utf8');
}

/** Where a statement stands in a transaction, from its text. */
export interface StatementShape {
  begins: boolean;
  /** Ends with COMMIT (a COMMIT alone, or MySQL's `START TRANSACTION; …; COMMIT` in one packet). */
  commits: boolean;
  rollsBack: boolean;
}

export function shapeOf(sql: string): StatementShape {
  const text = sql.trim().replace(/;\s*$/, '');
  return {
    begins: /^(start\s+transaction|begin)\b/i.test(text),
    commits: /(^|;\s*)commit$/i.test(text),
    rollsBack: /^rollback\b/i.test(text),
  };
}
