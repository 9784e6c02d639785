/**
 * The length of a string in UTF-8 bytes, without encoding it: every limit the hub documents in
 * bytes is counted in UTF-8 bytes (a CJK character is one UTF-16 unit but three bytes).
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair: two units, four bytes. A lone surrogate encodes as U+FFFD, three bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
