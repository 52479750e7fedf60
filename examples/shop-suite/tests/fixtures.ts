import { test as base, type Locator, type Page } from '@playwright/test';

/** The shop's published demo account, unless PULSE_PARAM_SHOP_USER and PULSE_PARAM_SHOP_PASSWORD name another. */
export const SHOPPER = {
  email: process.env.PULSE_PARAM_SHOP_USER ?? 'shopper@demo.test',
  password: process.env.PULSE_PARAM_SHOP_PASSWORD ?? 'demo-shopper-password',
};

/** What a shopper types at checkout. */
export interface Customer {
  name: string;
  email: string;
  address: string;
  city: string;
  postalCode: string;
  cardNumber: string;
}

/** The demo shop's checkout takes this card and no other. */
export const TEST_CUSTOMER: Customer = {
  name: 'Pat Prober',
  email: 'pat.prober@example.com',
  address: '1 Synthetic Way',
  city: 'Springfield',
  postalCode: '12345',
  cardNumber: '4242 4242 4242 4242',
};

/** The demo shop as a shopper sees it: its header, search, product pages, cart and checkout. */
export class ShopPage {
  readonly heading: Locator;
  readonly searchBox: Locator;
  readonly products: Locator;
  readonly cartLink: Locator;
  readonly status: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.searchBox = page.getByLabel('Search products');
    this.products = page.getByRole('list', { name: 'Products' }).getByRole('listitem');
    this.cartLink = page.getByRole('link', { name: /^Cart \(\d+\)$/ });
    this.status = page.getByRole('status');
  }

  async goto() {
    await this.page.goto('/');
  }

  async search(term: string) {
    await this.searchBox.fill(term);
    await this.page.getByRole('button', { name: 'Search' }).click();
  }

  async openProduct(name: string | RegExp) {
    await this.products.getByRole('link', { name }).first().click();
  }

  async addToCart(quantity: number) {
    await this.page.getByLabel('Quantity').fill(String(quantity));
    await this.page.getByRole('button', { name: 'Add to cart' }).click();
  }

  async openCart() {
    await this.cartLink.click();
  }

  async checkOut(customer: Customer) {
    await this.page.getByRole('link', { name: 'Proceed to checkout' }).click();
    await this.page.getByLabel('Full name').fill(customer.name);
    await this.page.getByLabel('Email').fill(customer.email);
    await this.page.getByLabel('Address').fill(customer.address);
    await this.page.getByLabel('City').fill(customer.city);
    await this.page.getByLabel('Postal code').fill(customer.postalCode);
    await this.page.getByLabel('Card number').fill(customer.cardNumber);
    await this.page.getByRole('button', { name: 'Place order' }).click();
  }

  async openAccount() {
    await this.page.goto('/account');
  }
}

export const test = base.extend<{ shop: ShopPage }>({
  shop: async ({ page }, use) => {
    await use(new ShopPage(page));
  },
});

export { expect } from '@playwright/test';
