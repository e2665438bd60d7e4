// PostGraphile 5 as bench.cold runs it: the Amber preset over the peer database, no GraphiQL,
// no explain, no watch. The Node interface (global object ids) is left out: Coursegate answers
// with the tables' own ids, which PostGraphile calls rowId. bench/peer_server.py sets
// DATABASE_URL and PORT.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["NodePlugin"],
  pgServices: [
    makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT), graphiql: false },
  grafast: { explain: false },
};
