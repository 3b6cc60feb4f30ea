import { flagIntegration } from './flag.js';
import { satshot } from './satshot.js';

export const integrations = [
  flagIntegration({ name: 'john-deere', column: 'johnDeereConnected', requiredEnv: ['JOHN_DEERE_CLIENT_ID', 'JOHN_DEERE_CLIENT_SECRET'] }),
  flagIntegration({ name: 'auravant', column: 'auravantConnected', requiredEnv: ['AURAVANT_TOKEN'] }),
  satshot,
];
