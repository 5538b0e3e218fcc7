// @alicloud/mns ships no type declarations; src/mns.ts describes the part it uses.
declare module '@alicloud/mns' {
  const MNSClient: unknown;
  export = MNSClient;
}
