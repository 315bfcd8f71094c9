// Splits a byte stream into lines, however the chunks fall: a line may arrive
// in pieces, several lines may arrive at once, and the last may lack "\n".
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private buffer = '';
  private readonly decoder = new StringDecoder('utf8');

  /** Feeds a chunk; returns the complete lines it finished. */
  push(chunk: Buffer | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unterminated tail, once the stream has ended. */
  end(): string[] {
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    return rest ? [rest] : [];
  }
}
