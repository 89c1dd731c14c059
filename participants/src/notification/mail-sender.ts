import type { Logger } from '@sagaflow/contracts/messaging';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  notificationId: string;
  to: string;
  subject: string;
  text: string;
}

/** Delivers a rendered message. Throwing makes the command a technical failure (retried). */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
  close?(): Promise<void>;
}

/** The default: the store's record is the message; this writes it to the log as well. */
export class LogMailSender implements MailSender {
  constructor(private readonly logger: Logger) {}

  async send(mail: OutgoingMail): Promise<void> {
    this.logger.info('mail sent', { notificationId: mail.notificationId, to: mail.to, subject: mail.subject });
  }
}

/** Sends through an SMTP server named by a URL such as `smtp://user:pass@host:587`. */
export class SmtpMailSender implements MailSender {
  private readonly transport: nodemailer.Transporter;

  constructor(
    url: string,
    private readonly from = 'Sagaflow <orders@sagaflow.local>',
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      headers: { 'X-Sagaflow-Notification-Id': mail.notificationId },
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
