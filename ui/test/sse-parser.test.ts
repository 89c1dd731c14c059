import { expect } from 'chai';
import { SseParser } from '../src/features/events/sse-parser.js';

describe('SseParser', () => {
  it('reads events cut anywhere, skipping comments and retry lines', () => {
    const parser = new SseParser();
    const text =
      'retry: 2000\n\n: keep-alive\n\nid: s1:1\nevent: saga\ndata: {"a":1}\n\nevent: saga\ndata: x\ndata: y\n\n';
    const events = [...text].flatMap((ch) => parser.push(ch));
    expect(events).to.deep.equal([
      { event: 'saga', data: '{"a":1}', id: 's1:1' },
      { event: 'saga', data: 'x\ny', id: 's1:1' },
    ]);
  });

  it('takes CRLF and CR line ends, and names an event without a type "message"', () => {
    const parser = new SseParser();
    expect(parser.push('data: one\r\n\r\ndata: two\r')).to.deep.equal([{ event: 'message', data: 'one' }]);
    expect(parser.push('\r\r')).to.deep.equal([{ event: 'message', data: 'two' }]);
  });
});
