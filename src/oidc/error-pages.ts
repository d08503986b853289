// Turns an OAuth error from oidc-provider into a page a person can act on. The error code stays
// visible for support; the description is only shown for errors that are meant to be read.
import type { MessagePage } from '../http/views.js';

const FRIENDLY: Record<string, string> = {
  invalid_request: 'The application sent an invalid login request.',
  invalid_client: 'The application is not known to Call Recording.',
  unauthorized_client: 'The application is not allowed to log in this way.',
  invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
  access_denied: 'The login was cancelled.',
  login_required: 'You need to log in.',
  session_not_found: 'Your login session has expired or is no longer valid.',
  invalid_scope: 'The application asked for permissions that are not available.',
  invalid_target: 'The application asked for access to an unknown service.',
  unmet_authentication_requirements: 'The application asked for a stronger login than your account can provide.',
  server_error: 'Something went wrong on our side.',
};

export function describeOidcError(out: { error?: string; error_description?: string }): MessagePage {
  const code = out.error ?? 'server_error';
  return {
    title: 'Login problem',
    heading: 'We could not log you in',
    paragraphs: [
      FRIENDLY[code] ?? 'The login request could not be completed.',
      'Please go back to the application and start again.',
      `Error code: ${code}`,
    ],
  };
}
