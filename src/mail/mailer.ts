// Outgoing mail through SMTP (nodemailer, SMTP_URL). Without SMTP_URL the embedded default prints
// messages to the log so a developer can follow the links; production never logs a message body.
import nodemailer from 'nodemailer';
import type { Logger } from '../logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createMailer(options: { smtpUrl: string | undefined; from: string; production: boolean; logger: Logger }): Mailer {
  if (!options.smtpUrl) {
    return {
      async send(message) {
        if (options.production) {
          options.logger.warn({ event: 'mail.not_sent' }, 'SMTP_URL is not set: an email was not sent');
          return;
        }
        options.logger.info({ event: 'mail.printed', to: message.to, subject: message.subject, text: message.text }, 'email (not sent: SMTP_URL is not set)');
      },
    };
  }
  const transport = nodemailer.createTransport(options.smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, ...message });
    },
  };
}
