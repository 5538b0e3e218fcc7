// @alicloud/fc2 ships no type declarations; this is the part windowed uses.
declare module '@alicloud/fc2' {
  interface FcResponse<T = Record<string, unknown>> {
    headers: Record<string, string>;
    data: T;
  }
  class FCClient {
    constructor(
      accountId: string,
      config: {
        accessKeyID: string;
        accessKeySecret: string;
        securityToken?: string;
        region: string;
        secure?: boolean;
        internal?: boolean;
        timeout?: number;
        endpoint?: string;
      },
    );
    getService(serviceName: string): Promise<FcResponse>;
    createService(serviceName: string, options?: Record<string, unknown>): Promise<FcResponse>;
    updateService(serviceName: string, options?: Record<string, unknown>): Promise<FcResponse>;
    getFunction(serviceName: string, functionName: string): Promise<FcResponse>;
    createFunction(serviceName: string, options: Record<string, unknown>): Promise<FcResponse>;
    updateFunction(
      serviceName: string,
      functionName: string,
      options: Record<string, unknown>,
    ): Promise<FcResponse>;
    getTrigger(serviceName: string, functionName: string, triggerName: string): Promise<FcResponse>;
    createTrigger(
      serviceName: string,
      functionName: string,
      options: Record<string, unknown>,
    ): Promise<FcResponse>;
    updateTrigger(
      serviceName: string,
      functionName: string,
      triggerName: string,
      options: Record<string, unknown>,
    ): Promise<FcResponse>;
    putFunctionAsyncConfig(
      serviceName: string,
      functionName: string,
      qualifier: string | undefined,
      options: Record<string, unknown>,
    ): Promise<FcResponse>;
    getFunctionAsyncConfig(
      serviceName: string,
      functionName: string,
      qualifier?: string,
    ): Promise<FcResponse>;
  }
  export = FCClient;
}
