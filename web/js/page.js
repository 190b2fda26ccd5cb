// Pages with no behaviour of their own (the landing page): translate and wire the language toggle.

import { initI18n } from './i18n.js';

initI18n();
