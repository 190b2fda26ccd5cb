// The landing page: no behaviour of its own beyond the shared start-up (chrome, translation,
// language toggle, clinic footer).

import { runPage } from '../lib/page.js';

runPage();
