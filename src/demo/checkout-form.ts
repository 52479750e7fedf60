/** The checkout form's fields, their labels and their validation. */

export const CHECKOUT_FIELDS = [
  { name: 'fullName', label: 'Full name', autocomplete: 'name', type: 'text' },
  { name: 'email', label: 'Email', autocomplete: 'email', type: 'email' },
  { name: 'address', label: 'Address', autocomplete: 'street-address', type: 'text' },
  { name: 'city', label: 'City', autocomplete: 'address-level2', type: 'text' },
  { name: 'postalCode', label: 'Postal code', autocomplete: 'postal-code', type: 'text' },
  { name: 'cardNumber', label: 'Card number', autocomplete: 'cc-number', type: 'text' },
] as const;

export type CheckoutField = (typeof CHECKOUT_FIELDS)[number]['name'];
export type CheckoutValues = Record<CheckoutField, string>;
export type CheckoutErrors = Partial<Record<CheckoutField, string>>;

export const TEST_CARD = '4242 4242 4242 4242';
const MAX_FIELD_LENGTH = 200;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const POSTAL_CODE = /^[A-Za-z0-9 -]{3,10}$/;

export function emptyCheckoutValues(): CheckoutValues {
  return { fullName: '', email: '', address: '', city: '', postalCode: '', cardNumber: '' };
}

/** Picks the checkout fields out of a parsed form body; anything else is ignored. */
export function readCheckoutValues(body: unknown): CheckoutValues {
  const values = emptyCheckoutValues();
  if (body === null || typeof body !== 'object') return values;
  const record = body as Record<string, unknown>;
  for (const { name } of CHECKOUT_FIELDS) {
    const value = record[name];
    if (typeof value === 'string') values[name] = value.trim();
  }
  return values;
}

const REQUIRED_MESSAGES: Record<CheckoutField, string> = {
  fullName: 'Enter your full name',
  email: 'Enter your email address',
  address: 'Enter your address',
  city: 'Enter your city',
  postalCode: 'Enter your postal code',
  cardNumber: 'Enter your card number',
};

/** Every problem at once, at most one per field, in form order. Empty when the order can be placed. */
export function validateCheckout(values: CheckoutValues): CheckoutErrors {
  const errors: CheckoutErrors = {};
  for (const { name, label } of CHECKOUT_FIELDS) {
    if (values[name] === '') errors[name] = REQUIRED_MESSAGES[name];
    else if (values[name].length > MAX_FIELD_LENGTH) errors[name] = `${label} must be ${MAX_FIELD_LENGTH} characters or fewer`;
  }
  if (!errors.email && !EMAIL.test(values.email)) {
    errors.email = 'Enter an email address like name@example.com';
  }
  if (!errors.postalCode && !POSTAL_CODE.test(values.postalCode)) {
    errors.postalCode = 'Postal code must be 3 to 10 letters, digits, spaces or dashes';
  }
  if (!errors.cardNumber) {
    const digits = values.cardNumber.replace(/ /g, '');
    if (!/^\d{16}$/.test(digits)) errors.cardNumber = 'Card number must be 16 digits';
    else if (digits !== TEST_CARD.replace(/ /g, '')) errors.cardNumber = 'Card declined';
  }
  return errors;
}
