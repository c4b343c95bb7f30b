using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ReNoise.Data.Migrations
{
    /// <inheritdoc />
    public partial class ScaleOut : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "Jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "DispatchedAt",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Model",
                table: "Jobs",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "JobId",
                table: "Inversions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "JobId",
                table: "Edits",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Inversions_JobId",
                table: "Inversions",
                column: "JobId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Edits_JobId",
                table: "Edits",
                column: "JobId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Inversions_JobId",
                table: "Inversions");

            migrationBuilder.DropIndex(
                name: "IX_Edits_JobId",
                table: "Edits");

            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "DispatchedAt",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "Model",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Inversions");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Edits");
        }
    }
}
