import { expect, journey, totp } from 'pulse';

// Staff and customers who cannot get past the second factor cannot do anything else: sign in with
// a password and an authenticator's one-time code. The code comes from the secret param mfaSecret
// (PULSE_PARAM_MFA_SECRET), redacted like every secret; `pulse demo` sets the demo account's.
export default journey(
  {
    name: 'mfa-sign-in',
    schedule: '*/1 * * * *',
    timeout: '45s',
    stepTimeout: '15s',
    retries: 1,
    tags: ['shop', 'sign-in'],
  },
  async ({ page, step, params }) => {
    await step('open sign-in', async () => {
      await page.goto(`${params.baseUrl.replace(/\/+$/, '')}/mfa/sign-in`);
      await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    });

    await step('sign in', async () => {
      const { mfaEmail, mfaPassword } = params;
      // Unset, the shop would answer "wrong password" and the run would blame it.
      if (!mfaEmail || !mfaPassword) throw new TypeError('set PULSE_PARAM_MFA_EMAIL and PULSE_PARAM_MFA_PASSWORD: the account to sign in with');
      await page.getByLabel('Email').fill(mfaEmail);
      await page.getByLabel('Password').fill(mfaPassword);
      await page.getByRole('button', { name: 'Continue' }).click();
      await expect(page.getByRole('heading', { name: 'Enter your code' }), 'the shop took the email and password').toBeVisible();
      await page.getByLabel('One-time code').fill(await totp(params, 'mfaSecret'));
      await page.getByRole('button', { name: 'Verify' }).click();
      const refused = page.getByRole('alert');
      await expect(page.getByRole('heading', { name: 'Your account' }).or(refused)).toBeVisible();
      await expect(refused, 'the shop refused the one-time code').toBeHidden();
    });

    await step('sign out', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    });
  },
);
