/** Whether malloc_trim can be called here (the addon is built and the C library is glibc). */
export declare const available: boolean;
/** glibc's malloc_trim(0): 1 when memory was released, 0 when none could be, -1 when not available. */
export declare function trim(): number;
/** Why the addon could not be loaded, when it could not. */
export declare const loadError: string | undefined;
