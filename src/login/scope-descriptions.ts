// What each scope lets an application do, in the words the consent page shows.
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name and username',
  email: 'See your email address',
  callrec: 'See your company, access level, roles and telephony username',
  offline_access: 'Stay connected when you are not using it',
  admin: 'Manage Call Recording settings you have access to',
};

export function describeScopes(scope: string): string[] {
  return scope.split(' ').filter(Boolean).map((s) => DESCRIPTIONS[s] ?? s);
}
