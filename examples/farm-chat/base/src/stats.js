/** Server errors answered since start: /health reports them, so a deploy tool can watch the rate. */
export const stats = { errors: 0 };
