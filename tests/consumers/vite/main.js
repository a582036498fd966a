// A Vite production build importing the package and its client as an app would.
import init, * as cs from 'chatseal';
import * as client from 'chatseal/client';
import { report, sealAndOpen } from './page-check.js';
import { clientRound } from './loopback.js';

report(
  (async () => {
    await init();
    const basic = sealAndOpen(cs);
    const round = await clientRound(cs, client, client.idbStore('vite-consumer'));
    return { ...basic, ...round };
  })(),
);
