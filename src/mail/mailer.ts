// Outgoing mail through SMTP (nodemailer, SMTP_URL). Without SMTP_URL the embedded default prints
// messages to the log so a developer can follow the links; production never logs a message body.
// nodemailer is loaded on the first message, not at start: password-reset mail is rare, and the
// module costs ~14 MiB of resident memory in every replica that never sends one.
import type { Transporter } from 'nodemailer';
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
  const smtpUrl = options.smtpUrl;
  let transport: Promise<Transporter> | undefined;
  return {
    async send(message) {
      transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(smtpUrl));
      await (await transport).sendMail({ from: options.from, ...message });
    },
  };
}
