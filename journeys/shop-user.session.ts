import { expect, session } from 'pulse';

// The shop's published demo account, unless PULSE_PARAM_SHOP_USER and PULSE_PARAM_SHOP_PASSWORD name another.
const DEMO_USER = 'shopper@demo.test';
const DEMO_PASSWORD = 'demo-shopper-password';

// A customer's sign-in, kept between runs: journeys that pass it start signed in, and the shop's
// sign-in is hit once per TTL, or again when the shop has revoked the session.
export const shopUser = session({
  name: 'shop-user',
  ttl: '30m',
  signIn: async ({ page, params }) => {
    await page.goto(new URL('/account/sign-in', params.baseUrl).href);
    await page.getByLabel('Email').fill(params.shopUser ?? DEMO_USER);
    await page.getByLabel('Password').fill(params.shopPassword ?? DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  },
  // Asked of the shop's API, not a page: a kept session costs one request when it holds.
  isSignedIn: async ({ context, params }) => {
    const response = await context.request.get(new URL('/account', params.baseUrl).href, { maxRedirects: 0 });
    return response.status() === 200;
  },
});
