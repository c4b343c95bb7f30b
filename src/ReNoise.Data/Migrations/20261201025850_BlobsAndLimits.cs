using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ReNoise.Data.Migrations
{
    /// <summary>
    /// Images and tensors move out of the Inversions rows into InversionBlobs (data moved, not lost);
    /// jobs are deleted with the inversion or edit they made or used; a health-probe table; an index
    /// for expiring sessions.
    /// </summary>
    public partial class BlobsAndLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Data first, while no table rebuild is pending (SQLite rebuilds Jobs for its new foreign
            // keys and Inversions for its dropped columns).
            // What the old schema kept after a deletion or a finished job: job rows of deleted inversions
            // (their prompt and file name) and finished jobs' uploads.
            migrationBuilder.Sql("DELETE FROM \"Jobs\" WHERE \"InversionId\" IS NULL AND (\"Kind\" = 'Edit' OR \"Status\" = 'Done');");
            migrationBuilder.Sql("UPDATE \"Jobs\" SET \"InputImage\" = NULL WHERE \"Status\" IN ('Done', 'Cancelled');");

            migrationBuilder.CreateTable(
                name: "HealthProbes",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    CheckedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthProbes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "InversionBlobs",
                columns: table => new
                {
                    InversionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    OwnerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Data = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InversionBlobs", x => new { x.InversionId, x.Kind });
                    table.ForeignKey(
                        name: "FK_InversionBlobs_Inversions_InversionId",
                        column: x => x.InversionId,
                        principalTable: "Inversions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Existing inversions keep every byte: each non-empty image and tensor column becomes a blob row
            // before the columns go.
            foreach (var (column, kind) in new[]
            {
                ("InputPng", "Input"), ("ReconstructionPng", "Reconstruction"), ("ThumbnailPng", "Thumbnail"),
                ("Latent", "Latent"), ("CleanLatent", "CleanLatent"), ("NoiseMaps", "NoiseMaps"),
            })
            {
                migrationBuilder.Sql(
                    $"INSERT INTO \"InversionBlobs\" (\"InversionId\", \"Kind\", \"OwnerId\", \"Data\") " +
                    $"SELECT \"Id\", '{kind}', \"OwnerId\", \"{column}\" FROM \"Inversions\" WHERE length(\"{column}\") > 0;");
            }

            migrationBuilder.DropForeignKey(
                name: "FK_Jobs_Edits_EditId",
                table: "Jobs");

            migrationBuilder.DropForeignKey(
                name: "FK_Jobs_Inversions_InversionId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CleanLatent",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "InputPng",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "Latent",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "NoiseMaps",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "ReconstructionPng",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "ThumbnailPng",
                table: "Inversions");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_LastSeenAt",
                table: "Sessions",
                column: "LastSeenAt");

            migrationBuilder.AddForeignKey(
                name: "FK_Jobs_Edits_EditId",
                table: "Jobs",
                column: "EditId",
                principalTable: "Edits",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_Jobs_Inversions_InversionId",
                table: "Jobs",
                column: "InversionId",
                principalTable: "Inversions",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Jobs_Edits_EditId",
                table: "Jobs");

            migrationBuilder.DropForeignKey(
                name: "FK_Jobs_Inversions_InversionId",
                table: "Jobs");

            migrationBuilder.DropTable(
                name: "HealthProbes");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_LastSeenAt",
                table: "Sessions");

            migrationBuilder.AddColumn<byte[]>(
                name: "CleanLatent",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.AddColumn<byte[]>(
                name: "InputPng",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.AddColumn<byte[]>(
                name: "Latent",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.AddColumn<byte[]>(
                name: "NoiseMaps",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.AddColumn<byte[]>(
                name: "ReconstructionPng",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.AddColumn<byte[]>(
                name: "ThumbnailPng",
                table: "Inversions",
                type: "BLOB",
                nullable: false,
                defaultValue: new byte[0]);

            foreach (var (column, kind) in new[]
            {
                ("InputPng", "Input"), ("ReconstructionPng", "Reconstruction"), ("ThumbnailPng", "Thumbnail"),
                ("Latent", "Latent"), ("CleanLatent", "CleanLatent"), ("NoiseMaps", "NoiseMaps"),
            })
            {
                migrationBuilder.Sql(
                    $"UPDATE \"Inversions\" SET \"{column}\" = (SELECT \"Data\" FROM \"InversionBlobs\" b " +
                    $"WHERE b.\"InversionId\" = \"Inversions\".\"Id\" AND b.\"Kind\" = '{kind}') " +
                    $"WHERE EXISTS (SELECT 1 FROM \"InversionBlobs\" b WHERE b.\"InversionId\" = \"Inversions\".\"Id\" AND b.\"Kind\" = '{kind}');");
            }

            migrationBuilder.DropTable(
                name: "InversionBlobs");

            migrationBuilder.AddForeignKey(
                name: "FK_Jobs_Edits_EditId",
                table: "Jobs",
                column: "EditId",
                principalTable: "Edits",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "FK_Jobs_Inversions_InversionId",
                table: "Jobs",
                column: "InversionId",
                principalTable: "Inversions",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }
    }
}
