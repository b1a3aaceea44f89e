/**
 * docker's management commands (`docker container ls`, `docker image rm`): each group's verbs
 * and the racker words they stand for (cli/management.ts). Data only, without imports: the
 * launcher reads it too, to pick the bundle of the command a group's verb names
 * (cli/bundle-choice.ts).
 */
export const GROUPS: Record<string, Record<string, string[]>> = {
  container: {
    ls: ['ps'],
    list: ['ps'],
    ps: ['ps'],
    run: ['run'],
    create: ['create'],
    exec: ['exec'],
    attach: ['attach'],
    rename: ['rename'],
    start: ['start'],
    stop: ['stop'],
    restart: ['restart'],
    kill: ['kill'],
    rm: ['rm'],
    remove: ['rm'],
    wait: ['wait'],
    logs: ['logs'],
    inspect: ['inspect'],
    prune: ['system', 'prune'],
    commit: ['commit'],
    cp: ['cp'],
    diff: ['diff'],
    export: ['export'],
    top: ['top'],
    port: ['port'],
    pause: ['pause'],
    unpause: ['unpause'],
    stats: ['stats'],
    update: ['update'],
  },
  image: {
    ls: ['images'],
    list: ['images'],
    pull: ['pull'],
    rm: ['rmi'],
    remove: ['rmi'],
    inspect: ['inspect', '--type', 'image'],
    import: ['import'],
    build: ['build'],
    tag: ['tag'],
    save: ['save'],
    load: ['load'],
    history: ['history'],
    // The one image verb without a top-level form (docker has none either).
    prune: ['image', 'prune'],
  },
};
