// Side effects only: see elements.js.
export {};
