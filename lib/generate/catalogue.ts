// Reference data of the drop generator: the fixed product catalogue, the name, street and city
// pools, and the junk the source system leaves after `.com`. Invented values with the shape of the
// source's (see specs/raw-files.md); nothing here is a row of the real files.

export interface Product {
  readonly id: number;
  readonly name: string;
  readonly category: 'Electronics' | 'Clothing' | 'Footwear' | 'Appliances';
  /** Unit price as sent: a decimal string with two digits. */
  readonly unitPrice: string;
}

/**
 * The catalogue: `id` → name/category is stable in every drop. Like the source, two products are
 * named "Boots" (9, 18) and two "Sandals" (10, 19) at different prices: never group by name.
 */
export const PRODUCTS: readonly Product[] = [
  { id: 1, name: 'Laptop', category: 'Electronics', unitPrice: '1099.99' },
  { id: 2, name: 'Smartphone', category: 'Electronics', unitPrice: '749.99' },
  { id: 3, name: 'Tablet', category: 'Electronics', unitPrice: '329.99' },
  { id: 4, name: 'Earbuds', category: 'Electronics', unitPrice: '89.99' },
  { id: 5, name: 'Polo Shirt', category: 'Clothing', unitPrice: '24.99' },
  { id: 6, name: 'Chinos', category: 'Clothing', unitPrice: '44.99' },
  { id: 7, name: 'Raincoat', category: 'Clothing', unitPrice: '79.99' },
  { id: 8, name: 'Running Shoes', category: 'Footwear', unitPrice: '89.99' },
  { id: 9, name: 'Boots', category: 'Footwear', unitPrice: '119.99' },
  { id: 10, name: 'Sandals', category: 'Footwear', unitPrice: '34.99' },
  { id: 11, name: 'Smartwatch', category: 'Electronics', unitPrice: '249.99' },
  { id: 12, name: 'Projector', category: 'Electronics', unitPrice: '459.99' },
  { id: 13, name: 'Speaker', category: 'Electronics', unitPrice: '129.99' },
  { id: 14, name: 'Sweater', category: 'Clothing', unitPrice: '39.99' },
  { id: 15, name: 'Shorts', category: 'Clothing', unitPrice: '22.99' },
  { id: 16, name: 'Scarf', category: 'Clothing', unitPrice: '17.99' },
  { id: 17, name: 'Loafers', category: 'Footwear', unitPrice: '69.99' },
  { id: 18, name: 'Boots', category: 'Footwear', unitPrice: '159.99' },
  { id: 19, name: 'Sandals', category: 'Footwear', unitPrice: '27.99' },
  { id: 20, name: 'Slippers', category: 'Footwear', unitPrice: '19.99' },
  { id: 21, name: 'Air Fryer', category: 'Appliances', unitPrice: '119.99' },
  { id: 22, name: 'Espresso Machine', category: 'Appliances', unitPrice: '349.99' },
  { id: 23, name: 'Rice Cooker', category: 'Appliances', unitPrice: '59.99' },
  { id: 24, name: 'Dishwasher', category: 'Appliances', unitPrice: '549.99' },
];

/** What follows `.com` in every e-mail of the source: 23 variants (a `"` gets CSV-quoted). */
export const EMAIL_JUNK: readonly string[] = [
  ' ', '"', '#4r', '$u', '%x', '&', "'", '(', ')x', '*', '/', ':',
  ';', '<', '>', '[', '\\', ']x', '^', 'm', '{', '|', '}4',
];

export const EMAIL_DOMAINS: readonly string[] = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com'];

export const FIRST_NAMES: readonly string[] = [
  'Liam', 'Noah', 'Lucas', 'Ethan', 'Henry', 'Grace', 'Chloe', 'Nora', 'Zoe', 'Ella',
];

export const LAST_NAMES: readonly string[] = [
  'Carter', 'Hughes', 'Foster', 'Reed', 'Parker', 'Bennett', 'Coleman', 'Turner', 'Howard', 'Ward',
];

/** The customer ids of the source come back in every drop, with other names each time. */
export const CUSTOMER_IDS: readonly number[] = Array.from({ length: 101 }, (_, index) => 30_200 + index);

export const PAYMENT_METHODS = {
  offline: ['Cash', 'Credit Card'],
  online: ['Credit Card', 'PayPal', 'Stripe'],
} as const;

/** Branch locations; the last one opens with group 4. */
export const BRANCH_LOCATIONS: readonly string[] = ['Seattle', 'Boston', 'Denver', 'Atlanta', 'San Diego', 'Tulsa'];
export const BRANCH_CLASSES: readonly string[] = ['A', 'B', 'C', 'D'];

/** Sales agents; the last one, hired in group 4, is written in lower case like the source's. */
export const AGENT_NAMES: readonly string[] = [
  'Mark Ellison', 'Laura Chen', 'Peter Novak', 'Hannah Kruger', 'Samuel Ortiz',
  'Rachel Kim', 'Victor Hale', 'Irene Walsh', 'Thomas Greer', 'Nadia Petrova', 'sam spade',
];

export interface City {
  readonly name: string;
  readonly state: string;
  readonly postalCodes: readonly string[];
}

export const CITIES: readonly City[] = [
  { name: 'Tacoma', state: 'WA', postalCodes: ['98402', '98405', '98418'] },
  { name: 'Spokane', state: 'WA', postalCodes: ['99201', '99203'] },
  { name: 'Portland', state: 'OR', postalCodes: ['97201', '97214', '97229'] },
  { name: 'Eugene', state: 'OR', postalCodes: ['97401', '97405'] },
  { name: 'Fresno', state: 'CA', postalCodes: ['93701', '93711', '93722'] },
  { name: 'Sacramento', state: 'CA', postalCodes: ['95814', '95822'] },
  { name: 'Reno', state: 'NV', postalCodes: ['89501', '89509'] },
  { name: 'Boise', state: 'ID', postalCodes: ['83702', '83706'] },
  { name: 'Tucson', state: 'AZ', postalCodes: ['85701', '85719', '85745'] },
  { name: 'Mesa', state: 'AZ', postalCodes: ['85201', '85210'] },
  { name: 'Aurora', state: 'CO', postalCodes: ['80010', '80012', '80016'] },
  { name: 'Omaha', state: 'NE', postalCodes: ['68102', '68114'] },
  { name: 'Wichita', state: 'KS', postalCodes: ['67202', '67212'] },
  { name: 'Norman', state: 'OK', postalCodes: ['73069', '73072'] },
  { name: 'Memphis', state: 'TN', postalCodes: ['38103', '38117'] },
  { name: 'Lexington', state: 'KY', postalCodes: ['40502', '40508'] },
  { name: 'Macon', state: 'GA', postalCodes: ['31201', '31210'] },
  { name: 'Tampa', state: 'FL', postalCodes: ['33602', '33611', '33629'] },
  { name: 'Mobile', state: 'AL', postalCodes: ['36602', '36608'] },
  { name: 'Frederick', state: 'MD', postalCodes: ['21701', '21702'] },
  { name: 'Hartford', state: 'CT', postalCodes: ['06103', '06106'] },
  { name: 'Worcester', state: 'MA', postalCodes: ['01602', '01609'] },
  { name: 'Burlington', state: 'VT', postalCodes: ['05401', '05408'] },
  { name: 'Anchorage', state: 'AK', postalCodes: ['99501', '99517'] },
];

/** Vermont postal codes of the addresses the source sends without a city (`…//VT/05…`). */
export const CITYLESS_VT_POSTAL_CODES: readonly string[] = ['05031', '05452', '05468', '05602', '05661'];

export const STREET_DIRECTIONS: readonly string[] = ['', '', '', '', 'North ', 'South ', 'East ', 'West '];
export const STREET_NAMES: readonly string[] = [
  'Maple', 'Cedar', 'Juniper', 'Willow Creek', 'Harbor View', 'Lincoln', 'Franklin', 'Orchard',
  'Sunset Ridge', 'Quarry', 'Bramble', 'Kensington', 'Millbrook', 'Foxglove', 'Riverside',
  "O'Connell", "Shepherd's", 'Dogwood', '14th', '27th', '3rd', 'Aspen Hollow', 'Tamarack', 'Beacon',
];
export const STREET_SUFFIXES: readonly string[] = [
  'Street', 'Avenue', 'Road', 'Drive', 'Lane', 'Court', 'Place', 'Way', 'Circle', 'Boulevard',
];

/** The one source address with a `/` inside the street (quoted in specs/raw-files.md). */
export const SLASH_IN_STREET_ADDRESS = '421 1/2 6th Street Southeast/Washington/DC/20003';
