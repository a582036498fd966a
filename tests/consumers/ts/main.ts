// Type-checked (not run) with tsc --strict under lib es2022+dom and esnext+dom.
import init, { Session, isChatsealError, type OpenedTurn } from 'chatseal';
import { connect, fileStore, idbStore, isClientError, type Conversation, type ConversationStatus, type Message } from 'chatseal/client';

export async function widget(relay: string, widgetKey: string, servicePublicKey: string): Promise<string> {
  await init();
  const chat: Conversation = await connect({ relay, widgetKey, servicePublicKey, store: idbStore(), mask: true });
  const off = chat.on('message', (m: Message) => console.log(m.id, m.state, m.text));
  chat.on('status', (s: ConversationStatus) => console.log(s.outcome));
  let last = '';
  for await (const text of chat.ask('hello')) last = text;
  off();
  await chat.close();
  try {
    await connect({ relay, widgetKey, servicePublicKey, store: fileStore('/tmp/x'), kek: new Uint8Array(32) });
  } catch (e) {
    if (isClientError(e) && e.code === 'locked') return 'locked';
    if (isChatsealError(e)) return e.code;
  }
  return last;
}

export function open(session: Session, envelope: Uint8Array): string {
  const turn: OpenedTurn = session.open(envelope);
  return turn.text;
}
