import { expect } from 'chai';
import { UnrecordedMails } from '../../src/notification/unrecorded-mails.js';

const mail = (n: number) => ({ notificationId: `ntf-${n}`, to: 'a@example.com', subject: 's', text: 't' });

describe('UnrecordedMails', () => {
  it('keeps a sent mail for its command until it is recorded', () => {
    const mails = new UnrecordedMails();
    mails.add('c1', mail(1));
    expect(mails.get('c1')).to.deep.equal(mail(1));
    mails.recorded('c1');
    expect(mails.get('c1')).to.equal(undefined);
  });

  it('forgets the oldest beyond its capacity', () => {
    const mails = new UnrecordedMails(2);
    for (let n = 1; n <= 3; n++) mails.add(`c${n}`, mail(n));
    expect(mails.get('c1')).to.equal(undefined);
    expect(mails.get('c2')).to.deep.equal(mail(2));
    expect(mails.get('c3')).to.deep.equal(mail(3));
  });
});
