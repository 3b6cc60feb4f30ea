/**
 * An integration whose state is one boolean column on users. `configured` says whether the
 * credentials are present in the environment; their values never leave the process.
 */
export function flagIntegration({ name, column, requiredEnv }) {
  return {
    name,
    async status({ prisma, config }) {
      return {
        integration: name,
        configured: requiredEnv.every((key) => Boolean(config.env[key])),
        connectedUsers: await prisma.user.count({ where: { [column]: true } }),
      };
    },
    async connect({ prisma, user }) {
      await prisma.user.update({ where: { id: user.id }, data: { [column]: true } });
    },
  };
}
